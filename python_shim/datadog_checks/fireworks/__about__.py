# Kept equal to project(VERSION) in CMakeLists.txt; a test checks it.
__version__ = '0.6.0'
