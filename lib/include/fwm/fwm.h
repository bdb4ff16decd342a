/*
 * fwm: the Fireworks metrics core of the Datadog Agent check.
 *
 * One C99 header, every symbol prefixed fwm_. Sections: visibility, version,
 * status codes, handles, functions.
 *
 * Ownership: what the library allocates, the library frees. Pointers returned
 * by fwm_result_* stay valid until fwm_result_free() on that result.
 *
 * Threading: every function may be called from any thread, at any time.
 * A client handle is a token the library looks up, not a pointer it
 * follows: fwm_client_free() may be called from one thread while
 * fwm_client_collect() runs on the same handle in another; the collection
 * then ends at once with FWM_ERR_CANCELLED, and a freed (or made-up) handle
 * is refused with FWM_ERR_INVALID_ARGUMENT. Collections on one handle may
 * overlap. A result handle belongs to the thread that got it. Nothing calls
 * back into the caller.
 *
 * fork(): a child process may go on using the handles it inherited; each
 * starts over there with its own connection and I/O thread (and a first
 * run's mapping state).
 *
 * Text: every string the library returns (messages, JSON buffers) is valid
 * UTF-8 without raw control characters in messages, whatever the network
 * sent.
 *
 * No C++ exception ever crosses this boundary: every function catches
 * everything and returns a status.
 */
#ifndef FWM_H
#define FWM_H

#include <stddef.h>

#include "fwm/version.h"

/* ---- visibility -------------------------------------------------------- */
#if defined(FWM_BUILDING_LIBRARY) && defined(_WIN32)
#define FWM_API __declspec(dllexport)
#elif defined(FWM_BUILDING_LIBRARY) && defined(__GNUC__)
#define FWM_API __attribute__((visibility("default")))
#else
#define FWM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ----------------------------------------------------------- */
/* FWM_VERSION_MAJOR, _MINOR, _PATCH, FWM_VERSION_NUMBER (MAJOR*10000 +
 * MINOR*100 + PATCH) and FWM_VERSION_STRING come from fwm/version.h. A caller
 * compares fwm_version_number() with the header it compiled against; the
 * Python shim refuses a library whose major version differs from its own. */

/* The version of the loaded library, as FWM_VERSION_NUMBER. */
FWM_API unsigned fwm_version_number(void);

/* The version of the loaded library, as "x.y.z". Static storage. */
FWM_API const char* fwm_version_string(void);

/* ---- status codes ------------------------------------------------------ */
/* Never renumbered: a retired code stays as a placeholder. */
typedef enum fwm_status {
    FWM_OK = 0,
    FWM_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer or an impossible size */
    FWM_ERR_INVALID_OPTIONS = 2,  /* the options JSON: the message names the option */
    FWM_ERR_OUT_OF_MEMORY = 3,
    FWM_ERR_INTERNAL = 4,         /* a bug: the message says where */
    FWM_ERR_PAYLOAD_TOO_LARGE = 5, /* a payload over 4 GiB - 1 byte */
    /* Collection outcomes (fwm_client_collect). */
    FWM_ERR_TIMEOUT = 6,           /* a step did not finish within its timeout */
    FWM_ERR_CONNECT = 7,           /* resolving or connecting failed */
    FWM_ERR_TLS = 8,               /* TLS handshake or certificate verification failed */
    FWM_ERR_PROXY = 9,             /* the proxy refused the tunnel */
    FWM_ERR_NETWORK = 10,          /* the connection broke during the exchange */
    FWM_ERR_PROTOCOL = 11,         /* the answer is not valid HTTP or its body cannot be decoded */
    FWM_ERR_RESPONSE_TOO_LARGE = 12, /* over max_response_bytes (inflated size included) */
    FWM_ERR_HTTP_UNAUTHORIZED = 13,  /* HTTP 401: the API key is wrong */
    FWM_ERR_HTTP_FORBIDDEN = 14,     /* HTTP 403: the key may not read this account */
    FWM_ERR_HTTP_NOT_FOUND = 15,     /* HTTP 404: wrong account id or endpoint */
    FWM_ERR_RATE_LIMITED = 16,       /* HTTP 429 or the local limit, and no fresh response to serve */
    FWM_ERR_HTTP_SERVER = 17,        /* HTTP 5xx after the allowed attempts */
    FWM_ERR_HTTP_STATUS = 18,        /* another unexpected HTTP status */
    FWM_ERR_REDIRECT = 19,           /* a redirect to another host, or too many */
    FWM_ERR_CANCELLED = 20           /* fwm_client_free() (or the deadline's guard) ended the collection */
} fwm_status;

/* A stable identifier such as "FWM_ERR_INVALID_OPTIONS"; "FWM_UNKNOWN" for a
 * code this library does not know. Static storage. */
FWM_API const char* fwm_status_name(int status);

/* One sentence describing the status in general terms. Static storage. */
FWM_API const char* fwm_status_string(int status);

/* ---- handles ----------------------------------------------------------- */
/* The outcome of one parse or collection: summary, samples and message. */
typedef struct fwm_result_s fwm_result;

/* One check instance's scraper: configuration, TLS context, kept-alive
 * connection, mapping state. All client handles share one I/O thread owned
 * by the library, started with the first handle and stopped with the last
 * (and the last piece of abandoned work). The pointer is an opaque token:
 * the library never dereferences it. */
typedef struct fwm_client_s fwm_client;

/* ---- functions --------------------------------------------------------- */

/*
 * Parses an exposition payload (Prometheus text 0.0.4 or OpenMetrics 1.0).
 * No network, no files: `data` is read only during the call.
 *
 * options_json may be NULL or a JSON object with these optional members:
 *   "format":     "auto" (default: OpenMetrics when the body ends with
 *                 "# EOF", else Prometheus text), "prometheus", "openmetrics"
 *   "samples":    true to build the samples buffer (default false)
 *   "max_errors": how many invalid lines keep a line number and reason (8)
 *   "reject_duplicate_series": a repeated series is an invalid line (true)
 *   "mapping":    an object of mapping options (below) to also build the
 *                 submissions (fwm_result_next_batch), as a first run would
 * Mapping options: "quantiles" ([0.5,0.9,0.95,0.99]; distinct, each in (0, 1]),
 *   "histogram_buckets_as_distributions" (true), "rates_as_counts" (false),
 *   "metrics" and "exclude_metrics" (regexes on Fireworks names),
 *   "exclude_labels", "deployments" ({"include":[...],"exclude":[...]}
 *   regexes on deployment_id), "tags", "agent_tags" (tags the Agent adds
 *   itself, such as service:<name>: never sent, never part of an identity),
 *   "min_collection_interval" (15), "account_id".
 * Any other member is rejected with FWM_ERR_INVALID_OPTIONS.
 *
 * On return *result is a new result handle (also on failure, so that its
 * message can be read) unless memory ran out, in which case it is NULL. The
 * caller frees it with fwm_result_free(). Malformed lines are not a failure:
 * they are skipped, counted and reported in the summary.
 */
FWM_API fwm_status fwm_parse(const char* data, size_t size, const char* options_json, fwm_result** result);

/* Why the call that made `result` failed; "" after success. Never NULL. */
FWM_API const char* fwm_result_message(const fwm_result* result);

/*
 * The summary as one JSON object (UTF-8, not NUL-terminated within *size):
 *   {"format":"prometheus"|"openmetrics", "lines":N, "samples":N,
 *    "families":N, "exemplars":N, "eof":bool, "invalid_lines":N,
 *    "errors":[{"line":N,"reason":"..."}, ...],
 *    "collection":{...} (fwm_client_collect only, below),
 *    "mapping": null, or what the mapping did:
 *      {"series":N, "filtered":N (metrics/exclude_metrics/deployments),
 *       "created":N (_created samples ignored), "merged":N (samples folded
 *       into another of the same name and tags), "renamed":N (unknown
 *       series given a fireworks.series.* name), "groups":N, "points":N,
 *       "deployments":N, "malformed_histograms":N, "non_finite":N,
 *       "filter_gave_up":N, "over_name_cap":N, "max_names":N,
 *       "submissions_bytes":N, "filter_over_budget":bool,
 *       "filter_budget_ms":N,
 *       "costly_pattern":{"option":"...","pattern":"..."} or null}}
 * "errors" holds the first max_errors invalid lines, in payload order.
 * Empty when the call failed for want of memory or on a bug.
 */
FWM_API fwm_status fwm_result_summary(const fwm_result* result, const char** json, size_t* size);

/*
 * The samples as JSON lines, one object per sample in payload order:
 *   {"name":"...","labels":{"k":"v",...},"value":V,"timestamp":T}
 * V is a number or one of the strings "NaN", "+Inf", "-Inf"; T is seconds
 * since the epoch or null. A sample with an exemplar also has
 *   "exemplar":{"labels":{...},"value":V,"timestamp":T}
 * Empty unless the parse was asked for "samples": true.
 */
FWM_API fwm_status fwm_result_samples(const fwm_result* result, const char** json_lines, size_t* size);

/*
 * The run's Datadog submissions, handed over in batches: each call renders
 * the next batch into buffers the result owns (valid until the next call
 * or fwm_result_free) and sets *size and *count to 0 once every batch was
 * handed out (the submissions are then freed). A batch holds whole groups,
 * about 4,096 points, laid out for cheap decoding: its structure as one
 * JSON object (UTF-8) that holds no number but name indices,
 *   {"names": ["fireworks.requests.rate", "fireworks.latency.overall", ...],
 *    "groups": [[["k:v", ...],   tags, built once by the caller
 *                [0, 2, ...],    gauge names (indices into "names")
 *                [5, ...],       count names
 *                [1, 1, ...]],   bucket names
 *               ...]}
 * and every value in *values (*count doubles), in the order the groups
 * consume them: for each group its gauge values, its count values, then
 * for each bucket its count, lower bound and upper bound. Names are complete
 * (namespace included); no two points of one run share name, tags and (for
 * buckets) bounds. Counts are whole numbers. A bucket is for
 * submit_histogram_bucket(monotonic=False); its upper bound may be +Inf.
 * Nothing unless the call was asked for a mapping (fwm_parse "mapping"
 * option; always for fwm_client_collect when a payload was received).
 * Check-level decisions (service check, the check's own metrics, what to
 * log) are the caller's, from the summary's "collection" and "mapping"
 * facts.
 */
FWM_API fwm_status fwm_result_next_batch(fwm_result* result, const char** json, size_t* size, const double** values,
                                         size_t* count);

/* Frees a result; NULL is accepted. */
FWM_API void fwm_result_free(fwm_result* result);

/*
 * Creates a client from a JSON object with the check's HTTP options:
 *   "account_id", "api_key" (required), "openmetrics_endpoint" (default
 *   https://api.fireworks.ai/v1/accounts/<account_id>/metrics), "timeout"
 *   (10 s: the whole collection), "connect_timeout", "read_timeout" (default
 *   timeout), "tls_verify" (true), "tls_ca_cert", "tls_cert",
 *   "tls_private_key", "tls_validate_hostname" (true), "proxy" (null or
 *   {"http":URL,"https":URL,"no_proxy":[...] or "a,b"}),
 *   "max_response_bytes" (128 MiB), "max_requests_per_minute" (5, at most 6),
 *   "refresh_period" (30 s: how long a response may be served again),
 *   "max_attempts" (3: for 5xx and network errors), "max_retry_after"
 *   (600 s, at most 3600: the longest one 429's Retry-After silences the
 *   account), "mapping" (the mapping options of fwm_parse; account_id
 *   defaults to the client's), and "fleet" (null, or Fireworks' REST API:
 *   "collect_inventory", "collect_usage" (false), "inventory_tags" (true),
 *   "inventory_interval" (300), "usage_interval" (900), "api_endpoint" (an
 *   origin; default openmetrics_endpoint's), "api_max_requests_per_minute"
 *   (30), "api_max_response_bytes" (8 MiB), "max_deployments" (5000),
 *   "annotation_tags" ({annotation: tag name})). Handles of the same account,
 *   origin, key, TLS and proxy settings and fleet options share one refresh,
 *   run by timers on the library's I/O thread.
 * URLs are refused when they hold a space, a control character or a byte
 * that is not ASCII. Filters (metrics, exclude_metrics, deployments) are
 * Python `re` patterns matched against the whole name, at most 200
 * characters each; what Python would read otherwise is refused.
 * Times are in seconds. An unknown or invalid option fails with
 * FWM_ERR_INVALID_OPTIONS and a message naming it (never quoting api_key).
 * *client is set also on failure, so that fwm_client_message() can be read;
 * free it with fwm_client_free().
 */
FWM_API fwm_status fwm_client_create(const char* config_json, fwm_client** client);

/* Why fwm_client_create failed; "" otherwise (also for an unknown handle).
 * Never NULL; valid until fwm_client_free() on that handle. */
FWM_API const char* fwm_client_message(const fwm_client* client);

/*
 * Collects once: GET the endpoint (within the rate limit shared by every
 * handle of the account in this process), then parse what came back.
 * Blocks the calling thread: the network part never longer than "timeout"
 * plus half a second, whatever DNS, the peer or another thread does
 * (abandoned network work finishes in the background by its own deadline);
 * then inflating, parsing and mapping what arrived take time in proportion
 * to it (a few milliseconds per MB). Other threads may collect at the same
 * time. fwm_client_free() on the handle from another
 * thread ends it at once with FWM_ERR_CANCELLED. options_json takes the
 * parse options of fwm_parse.
 *
 * Returns the collection's status; *result is always set (unless memory ran
 * out). Its summary is fwm_parse's plus a "collection" member:
 *   {"status":"FWM_OK", "message":"...", "http_status":200, "attempts":1,
 *    "duration_s":0.12, "wire_bytes":N, "body_bytes":N,
 *    "encoding":"gzip"|"identity"|"", "content_type":"...",
 *    "connection_reused":bool, "from_cache":bool, "cache_age_s":S|null,
 *    "rate_limited":bool, "retry_after_s":S|null}
 * A fresh-enough earlier response served instead of a request that the
 * rate limit or a 429 stopped is FWM_OK with "from_cache": true.
 * With "fleet", the summary also has "fleet": {"first_run": ..., "inventory":
 * ..., "usage": ...}: each kind's last attempt and last good answer. A
 * handle's first collection waits (within "timeout" from its start) for the
 * first inventory and usage, fetched beside the scrape, and maps with them;
 * its "first_run" is {"waited_s":S, "missing":["inventory"|"usage", ...]}
 * (what had not come), null in later collections, which never wait.
 */
FWM_API fwm_status fwm_client_collect(fwm_client* client, const char* options_json, fwm_result** result);

/* Frees a client: cancels its running collections (they return
 * FWM_ERR_CANCELLED), closes its connection, and returns within 50 ms, from
 * any thread (it waits that long at most for the I/O thread to let go, so
 * that the last free also stops the I/O thread). NULL and handles already
 * freed are accepted. */
FWM_API void fwm_client_free(fwm_client* client);

#ifdef __cplusplus
}
#endif

#endif /* FWM_H */
