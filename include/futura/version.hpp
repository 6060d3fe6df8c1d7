// futura/version.hpp — the library version (CMake reads it from here).
#pragma once

#define FUTURA_VERSION_MAJOR 0
#define FUTURA_VERSION_MINOR 1
#define FUTURA_VERSION_PATCH 0
#define FUTURA_VERSION (FUTURA_VERSION_MAJOR * 10000 + FUTURA_VERSION_MINOR * 100 + FUTURA_VERSION_PATCH)
