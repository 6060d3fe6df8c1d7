#!/usr/bin/env python3
"""The layering check of `make test` (docs/design.md, section 1).

Each folder of include/futura is one layer (its detail/ folder belongs to it). A header includes
headers of its own layer or of lower ones only, and headers below the Asio layer include no
Boost.Asio. lib/ mirrors include/futura: lib/<path>.cpp compiles what <futura/<path>.hpp>
declares (or a header of its own beside it, lib/<path>.hpp), and obeys the same rule as that
header. Deprecated paths kept for users are forwarding headers (a line
`// futura: forwarding header`): they may point anywhere, and nothing of futura may include them.

Usage: check_layers.py SOURCE_DIR   (exit status 1 and one line per violation when it fails)
"""
import os
import re
import sys

# Layers, lowest first: (name, folders and files of include/futura that belong to it).
LAYERS = [
    ("core", ["version.hpp", "core/"]),
    ("combinator", ["combinator/"]),
    ("stream", ["stream/", "stream.hpp"]),
    ("sync", ["sync/"]),
    ("channel", ["channel/"]),
    ("executor", ["executor/", "core.hpp"]),
    ("asio", ["asio/", "futura.hpp"]),
]
ASIO_LAYER = [name for name, _ in LAYERS].index("asio")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
FORWARDING = "// futura: forwarding header"


def layer_of(path):
    """path is relative to include/futura (a header) or to lib (a source, without .cpp)."""
    for index, (_, places) in enumerate(LAYERS):
        for place in places:
            if path == place or (place.endswith("/") and path.startswith(place)):
                return index
    return None


def files_under(root, suffixes):
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(suffixes):
                found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    source_dir = sys.argv[1]
    include_dir = os.path.join(source_dir, "include", "futura")
    lib_dir = os.path.join(source_dir, "lib")
    problems = []
    headers = files_under(include_dir, (".hpp",))
    forwarding = {h for h in headers if FORWARDING in read(os.path.join(include_dir, h))}

    def check_includes(who, layer, text):
        for quote, target in INCLUDE.findall(text):
            if target.startswith("boost/asio") and layer < ASIO_LAYER:
                problems.append("%s (%s) includes <%s>: only the asio layer may use Boost.Asio"
                                % (who, LAYERS[layer][0], target))
            if quote == '"' or not target.startswith("futura/"):
                continue
            target = target[len("futura/"):]
            if target in forwarding:
                problems.append("%s includes the deprecated path futura/%s: include what it forwards to"
                                % (who, target))
                continue
            target_layer = layer_of(target)
            if target_layer is None:
                problems.append("%s includes futura/%s, which is in no layer" % (who, target))
            elif target_layer > layer:
                problems.append("%s (%s) includes futura/%s (%s): a layer may include only its own and lower ones"
                                % (who, LAYERS[layer][0], target, LAYERS[target_layer][0]))

    for header in headers:
        if header in forwarding:
            continue
        layer = layer_of(header)
        if layer is None:
            problems.append("futura/%s: in no layer (give its folder one in test/layering/check_layers.py)" % header)
            continue
        check_includes("futura/" + header, layer, read(os.path.join(include_dir, header)))

    sources = files_under(lib_dir, (".cpp", ".hpp"))
    for source in sources:
        stem = source[: -len(".cpp")] if source.endswith(".cpp") else source[: -len(".hpp")]
        if source.endswith(".cpp") and (stem + ".hpp") not in headers and (stem + ".hpp") not in sources:
            problems.append("lib/%s: mirrors no header (expected include/futura/%s.hpp or lib/%s.hpp)"
                            % (source, stem, stem))
        layer = layer_of(stem + ".hpp")
        if layer is None:
            problems.append("lib/%s: in no layer" % source)
            continue
        check_includes("lib/" + source, layer, read(os.path.join(lib_dir, source)))

    for p in problems:
        print("layering: " + p)
    print("layering: %d headers (%d forwarding), %d library files checked, %d violations"
          % (len(headers), len(forwarding), len(sources), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
