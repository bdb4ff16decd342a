# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
# Kept equal to project(VERSION) in CMakeLists.txt; a test checks it.
__version__ = '0.6.0'
