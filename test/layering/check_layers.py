#!/usr/bin/env python3
"""The layering check of `make test`: every header of include/futura belongs to one layer, and
includes headers of its own layer or of lower ones only; headers below the Asio layer include no
Boost.Asio. docs/design.md, section 1, describes the layers. A header this table does not place
fails the check: give it a layer here. Forwarding headers (a line `// futura: forwarding header`)
may point anywhere.

Usage: check_layers.py INCLUDE_DIR   (exit status 1 and one line per violation when it fails)
"""
import fnmatch
import os
import re
import sys

# (layer name, patterns relative to include/), lowest layer first.
LAYERS = [
    ("core", [
        "futura/version.hpp", "futura/core/*.hpp",
        "futura/detail/config.hpp", "futura/detail/chaos.hpp", "futura/detail/misuse.hpp",
        "futura/detail/ref_count.hpp", "futura/detail/atomic_waker.hpp", "futura/detail/spin_lock.hpp",
        "futura/detail/continuation.hpp", "futura/detail/result_traits.hpp",
    ]),
    ("combinator", [
        "futura/combinator/*.hpp",
        "futura/detail/abort_state.hpp", "futura/detail/boxed_trampoline.hpp", "futura/detail/join_*.hpp",
        "futura/detail/result_step.hpp", "futura/detail/root_poll.hpp", "futura/detail/select_*.hpp",
        "futura/detail/shared_state.hpp",
    ]),
    ("channel", ["futura/channel/*.hpp", "futura/detail/oneshot_state.hpp"]),
    ("executor", ["futura/executor/block_on.hpp", "futura/executor/poll_root.hpp", "futura/core.hpp"]),
    ("asio", [
        "futura/asio/*.hpp", "futura/asio/*/*.hpp",
        "futura/executor/spawn.hpp", "futura/executor/join_handle.hpp", "futura/executor/block_on_asio.hpp",
        "futura/executor/detail/*.hpp", "futura/log.hpp", "futura/futura.hpp",
    ]),
]
ASIO_LAYER = [name for name, _ in LAYERS].index("asio")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def layer_of(path):
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return index
    return None


def main():
    include_dir = sys.argv[1]
    problems = []
    headers = []
    for root, _, files in os.walk(os.path.join(include_dir, "futura")):
        for name in files:
            if name.endswith(".hpp"):
                headers.append(os.path.relpath(os.path.join(root, name), include_dir))
    for header in sorted(headers):
        layer = layer_of(header)
        if layer is None:
            problems.append("%s: in no layer (add it to test/layering/check_layers.py)" % header)
            continue
        with open(os.path.join(include_dir, header), encoding="utf-8") as f:
            text = f.read()
        if "// futura: forwarding header" in text:
            continue
        for target in INCLUDE.findall(text):
            if target.startswith("boost/asio") and layer < ASIO_LAYER:
                problems.append("%s (%s) includes <%s>: only the asio layer may use Boost.Asio"
                                % (header, LAYERS[layer][0], target))
            if not target.startswith("futura/"):
                continue
            target_layer = layer_of(target)
            if target_layer is None:
                problems.append("%s includes %s, which is in no layer" % (header, target))
            elif target_layer > layer:
                problems.append("%s (%s) includes %s (%s): a layer may include only its own and lower ones"
                                % (header, LAYERS[layer][0], target, LAYERS[target_layer][0]))
    for p in problems:
        print("layering: " + p)
    print("layering: %d headers checked, %d violations" % (len(headers), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
