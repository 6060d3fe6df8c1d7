#!/usr/bin/env python3
"""Writes the seed corpus of combinator_tree_fuzz: small hand-made cases, one per file, that
reach every node kind and every kind of event, in the input format described at the top of
combinator_tree_fuzz.cpp. Rerun after changing that format:

    python3 test/fuzz/make_corpus.py test/fuzz/corpus/combinator_tree

Replay one with FUTURA_FUZZ_PRINT=1 <build>/test/combinator_tree_fuzz <file> to see it decoded.
"""
import os
import sys

LEAF, THEN, JOIN, JOIN_ALL, SELECT, SELECT_BIASED, TRY_JOIN, BOXED, SHARED, ABORTABLE, FUSE = range(11)
BRANCH = 242  # kind bytes 242-255 (the kinds above are byte % 11 below 242)


def leaf(value=1, throws=False, never=False):
    """A leaf with value -2..7 (negative: an error under try_join)."""
    hi = 2 if never else (1 if throws else 0)
    return bytes([LEAF, (hi << 4) | (value + 2)])


def node(kind, param, *children):
    return bytes([kind, param]) + b"".join(children)


def then(child, addend=1, throws=False):
    return node(THEN, 45 if throws else addend - 1, child)


def join(*cs):
    return node(JOIN, len(cs) - 2, *cs)


def join_all(*cs):
    return node(JOIN_ALL, len(cs), *cs)


def select(*cs):
    return node(SELECT, len(cs) - 2, *cs)


def select_biased(*cs):
    return node(SELECT_BIASED, len(cs) - 2, *cs)


def try_join(*cs):
    return node(TRY_JOIN, len(cs) - 2, *cs)


def boxed(child, deep=False):
    return node(BOXED, 240 if deep else 1, child)  # 240: 129 links, past the trampoline's limit


def shared(child, second_copy=True):
    return node(SHARED, 1 if second_copy else 0, child)


def abortable(child):
    return node(ABORTABLE, 0, child)


def fuse(child):
    return node(FUSE, 0, child)


def branch(if_true, if_false, cond=True):
    """futura::branch(cond, make if_true, make if_false): only the taken child is built."""
    return node(BRANCH, 0 if cond else 1, if_true, if_false)


# Events. `x` of complete is an index among the leaves not completed yet.
NONE, POLL_ROOT, DROP_ROOT, POLL_COPY, DROP_COPY, DROP_HANDLE = range(6)


def complete(x=0):
    return bytes([x * 8])


def racing(action, target, delay, slow=0):
    """What this thread does while another runs the event; delay = (other's spins, ours), 0..15;
    slow: how long each wake of the driver's wakers spins during the step, 0..255."""
    return bytes([target * 6 + action, delay[0] | (delay[1] << 4), slow])


def complete_from_thread(x=0, action=NONE, target=0, delay=(0, 0), slow=0):
    return bytes([x * 8 + 3]) + racing(action, target, delay, slow)


def abort(slot=0, action=None, target=0, delay=(0, 0)):
    if action is None:
        return bytes([(slot << 1) * 8 + 4])
    return bytes([((slot << 1) | 1) * 8 + 4]) + racing(action, target, delay)


def poll_copy(slot=0):
    return bytes([(slot << 1) * 8 + 5])


def drop_copy(slot=0):
    return bytes([((slot << 1) | 1) * 8 + 5])


def drop_handle(slot=0):
    return bytes([slot * 8 + 6])


def drop_root():
    return bytes([7])


def wake_from_thread(leaf_index=0, action=NONE, target=0, delay=(0, 0)):
    return bytes([(leaf_index * 4 + 1) * 8 + 7]) + racing(action, target, delay)


def wake(leaf_index=0):
    return bytes([(leaf_index * 4 + 2) * 8 + 7])


def tick():
    return bytes([3 * 8 + 7])


def case(tree, first_poll, *events):
    return tree + bytes([first_poll]) + b"".join(events)


def cases():
    two = (leaf(3), leaf(4))
    yield "leaf", case(leaf(5), 0, complete())
    yield "leaf_throws", case(leaf(5, throws=True), 0, complete())
    yield "leaf_ready_before_first_poll", case(leaf(5), 1, complete())
    yield "leaf_never", case(leaf(5, never=True), 0, tick())
    yield "then", case(then(leaf(2), 3), 0, complete())
    yield "then_throws", case(then(leaf(2), throws=True), 0, complete())
    yield "join", case(join(*two), 0, complete(1), complete(0))
    yield "join3_throw", case(join(leaf(1), leaf(2, throws=True), leaf(3)), 0, complete(1), complete(0))
    yield "join_all", case(join_all(leaf(1), leaf(2), leaf(3), leaf(4)), 0, complete(3), complete(0), complete(1))
    yield "join_all_empty", case(join_all(), 0)
    yield "join_all_throw_from_thread", case(
        join_all(leaf(1), leaf(2, throws=True), leaf(3)), 0, complete_from_thread(1, POLL_ROOT), complete(0))
    yield "join_all_throw_from_thread_later", case(
        join_all(leaf(1), leaf(2, throws=True), leaf(3)), 0, complete_from_thread(1, POLL_ROOT, delay=(5, 0)), complete(0))
    yield "join_all_throw_polled_later", case(
        join_all(leaf(1), leaf(2, throws=True), leaf(3)), 0, complete_from_thread(1, POLL_ROOT, delay=(0, 3)), complete(0))
    yield "join_all_throw_slow_wake", case(
        join_all(leaf(1), leaf(2, throws=True), leaf(3)), 0,
        complete_from_thread(1, POLL_ROOT, delay=(0, 2), slow=40), complete(0))
    yield "select", case(select(*two), 0, complete(1), complete(0))
    yield "select_tie", case(select(*two), 2, complete(1), complete(0))
    yield "select3", case(select(leaf(1), leaf(2), leaf(3)), 0, complete(2))
    yield "select_biased_tie", case(select_biased(*two), 2, complete(1), complete(0))
    yield "select_never", case(select(leaf(1, never=True), leaf(2)), 0, complete())
    yield "try_join_error", case(try_join(leaf(-1), leaf(4)), 0, complete(0), complete(0))
    yield "try_join_values", case(try_join(leaf(1), leaf(2), leaf(3)), 0, complete(2), complete(1), complete(0))
    yield "try_join_error_tie", case(try_join(leaf(-1), leaf(-2)), 2, complete(1), complete(0))
    yield "boxed", case(boxed(leaf(6)), 0, complete())
    yield "boxed_deep_chain", case(boxed(leaf(6), deep=True), 0, complete())
    yield "boxed_deep_chain_in_join", case(join(boxed(leaf(6), deep=True), leaf(1)), 1, complete(0), complete(0))
    yield "fuse", case(fuse(then(leaf(1))), 0, complete())
    yield "shared", case(shared(leaf(2), second_copy=False), 0, complete())
    yield "shared_second_copy_polled", case(shared(leaf(2)), 0, poll_copy(), complete(), poll_copy())
    yield "shared_second_copy_dropped", case(shared(leaf(2)), 0, drop_copy(), complete())
    yield "shared_copy_outlives_tree", case(
        select_biased(leaf(1), shared(leaf(2))), 0, poll_copy(), complete(0), complete(0), poll_copy())
    yield "shared_copy_polled_while_completing", case(
        shared(join(*two)), 0, complete(), complete_from_thread(0, POLL_COPY, 0))
    yield "shared_throws", case(shared(leaf(2, throws=True)), 0, complete(), poll_copy())
    yield "abortable", case(abortable(leaf(3)), 0, complete())
    yield "abortable_aborted", case(abortable(leaf(3)), 0, abort(), complete())
    yield "abortable_aborted_before_first_poll", case(abortable(leaf(3)), 2, abort(), complete())
    yield "abortable_aborted_from_thread", case(abortable(leaf(3, never=True)), 0, abort(0, POLL_ROOT))
    yield "abortable_handle_dropped", case(abortable(leaf(3)), 0, drop_handle(), complete())
    yield "abortable_under_try_join", case(try_join(abortable(leaf(3)), leaf(4)), 0, complete(1), abort(), complete())
    yield "drop_tree", case(join(*two), 0, complete(), drop_root(), complete())
    yield "drop_tree_before_first_poll", case(select(*two), 3, complete(), drop_root(), complete())
    yield "drop_tree_while_completing", case(join_all(leaf(1), leaf(2)), 0, complete_from_thread(0, DROP_ROOT))
    yield "drop_tree_while_completing_later", case(
        join(leaf(1), select(leaf(2), leaf(3))), 0, complete_from_thread(1, DROP_ROOT, delay=(4, 1)))
    yield "drop_tree_keeps_shared_copy", case(
        join(shared(leaf(1)), leaf(2)), 0, poll_copy(), drop_root(), complete(), poll_copy(), complete())
    yield "complete_from_thread", case(join(*two), 0, complete_from_thread(0), complete_from_thread(0, POLL_ROOT))
    yield "spurious_wakes", case(join(leaf(1), select(leaf(2), leaf(3))), 0,
                                 wake(1), wake_from_thread(2, POLL_ROOT), complete(1), wake(0), complete(), complete())
    yield "branch_first", case(branch(leaf(3), join(*two)), 0, complete(1), complete(0), complete(0))
    yield "branch_second", case(branch(leaf(3), then(leaf(4), 2), cond=False), 0, complete(0), complete(0))
    yield "branch_both_leaves", case(branch(leaf(3), leaf(4), cond=False), 1, complete(1), complete(0))
    yield "branch_throws", case(branch(then(leaf(1)), leaf(2, throws=True), cond=False), 0, complete(1), complete(0))
    yield "branch_untaken_handles", case(
        branch(abortable(shared(leaf(1))), leaf(2), cond=False), 0, abort(), poll_copy(), complete(0), wake(0),
        complete(0))
    yield "branch_wake_from_thread", case(
        branch(select(leaf(1), leaf(2)), leaf(3)), 0, wake_from_thread(0, POLL_ROOT), complete_from_thread(1, POLL_ROOT),
        complete(0), complete(0))
    yield "branch_dropped", case(join(branch(leaf(1), leaf(2), cond=False), leaf(3)), 0, complete(0), drop_root(), complete())
    yield "branch_dropped_while_completing", case(
        branch(join(*two), leaf(5)), 0, complete(0), complete_from_thread(0, DROP_ROOT, delay=(2, 1)), complete())
    yield "branch_deep_chain_under_select_biased", case(
        select_biased(branch(leaf(1), boxed(leaf(6), deep=True), cond=False), leaf(2)), 2, complete(1), complete(1),
        complete(0))
    yield "branch_nested", case(
        branch(branch(leaf(1), leaf(2), cond=False), branch(leaf(3), leaf(4))), 0, complete(1), complete(0),
        complete(0), complete(0))
    yield "branch_in_shared", case(
        join(shared(branch(leaf(1, throws=True), abortable(leaf(2)))), leaf(3)), 0, poll_copy(), complete(0),
        complete(0), poll_copy(), complete(0))
    yield "everything", case(
        try_join(abortable(shared(join_all(leaf(1), fuse(leaf(2)), boxed(leaf(3))))),
                 select_biased(then(leaf(4), 2), select(leaf(5), leaf(6, throws=True)))),
        1, complete(2), poll_copy(), complete_from_thread(1, POLL_ROOT), wake_from_thread(3, DROP_COPY, 1),
        complete(0), abort(0, POLL_COPY, 0), drop_handle(0), complete(), drop_copy(), complete())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "combinator_tree")
    os.makedirs(out, exist_ok=True)
    for name, data in cases():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
