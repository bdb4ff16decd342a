class CheckException(Exception):
    pass


class ConfigurationError(Exception):
    pass
