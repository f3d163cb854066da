#!/usr/bin/env python3
"""test_layers.py BUILD_DIR — the executor's files call only downward.

The layer order is the list in the header comment of
src/executor/executor.h (one line per file, top to bottom, under
"Layers."); it is kept only there. This test reads which functions each
object file of the executor defines and which it calls (nm over
BUILD_DIR/CMakeFiles/*.dir/src/**/*.c.o and *.cpp.o, skipping stale objects whose
source file no longer exists) and fails when:
  - an executor source file is missing from the list, or the list names a
    file that does not exist;
  - a file calls a function defined in a file at or above its own layer
    (a call upward), or the files' call graph has a cycle;
  - a parser or planner file calls a function of the executor (the
    executor is above them).
The source directory is read from BUILD_DIR/CMakeCache.txt, and nm is
that build's CMAKE_NM.
"""
import collections
import glob
import os
import re
import subprocess
import sys


def cache_value(build, key, default=None):
    try:
        with open(os.path.join(build, 'CMakeCache.txt')) as f:
            for line in f:
                m = re.match(r'^%s:[A-Z]+=(.*)$' % re.escape(key), line.rstrip('\n'))
                if m:
                    return m.group(1)
    except OSError:
        pass
    return default


def declared_layers(src):
    """The executor's files in order, top first, from executor.h."""
    path = os.path.join(src, 'src/executor/executor.h')
    with open(path) as f:
        text = f.read()
    start = text.index(' * Layers.')
    layers = []
    for line in text[start:].splitlines()[1:]:
        if line.strip() in ('*', '*/'):
            if layers:
                break
            continue
        m = re.match(r'^ \*   (\S+\.(?:c|cpp))\s', line)
        if m:
            layers.append('src/executor/' + m.group(1))
    return layers


def symbols(nm, build, src):
    """(defined: symbol -> file, called: file -> set of symbols)."""
    defined, called = {}, collections.defaultdict(set)
    objs = glob.glob(os.path.join(build, 'CMakeFiles/*.dir/src/**/*.c.o'), recursive=True)
    objs += glob.glob(os.path.join(build, 'CMakeFiles/*.dir/src/**/*.cpp.o'), recursive=True)
    for o in sorted(objs):
        rel = o.split('.dir/', 1)[1][:-2]
        if not os.path.exists(os.path.join(src, rel)):
            continue  # stale: its source was moved or removed
        out = subprocess.run([nm, o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in 'TDBRCG':
                defined[parts[2]] = rel
            elif len(parts) == 2 and parts[0] == 'U':
                called[rel].add(parts[1])
    return defined, called


def find_cycle(edges):
    """One cycle of the graph as a list of files, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: test_layers.py BUILD_DIR')
    build = os.path.abspath(sys.argv[1])
    src = cache_value(build, 'CMAKE_HOME_DIRECTORY')
    if not src:
        sys.exit('%s/CMakeCache.txt names no source directory' % build)
    nm = cache_value(build, 'CMAKE_NM') or 'nm'
    layers = declared_layers(src)
    rank = {f: i for i, f in enumerate(layers)}
    failures = []

    if len(rank) != len(layers):
        failures.append('executor.h lists a file twice')
    on_disk = sorted(os.path.relpath(p, src) for pattern in ('*.c', '*.cpp')
                     for p in glob.glob(os.path.join(src, 'src/executor/**/' + pattern), recursive=True))
    for f in on_disk:
        if f not in rank:
            failures.append('%s is not in the layer list of executor.h' % f)
    for f in layers:
        if f not in on_disk:
            failures.append('executor.h lists %s, which does not exist' % f)

    defined, called = symbols(nm, build, src)
    built = {f for f in defined.values()} | set(called)
    missing = [f for f in on_disk if f not in built]
    if missing:
        failures.append('no object file for %s under %s (build first)' % (', '.join(missing), build))

    edges = collections.defaultdict(set)
    n_calls = 0
    for caller in sorted(called):
        for sym in sorted(called[caller]):
            callee = defined.get(sym)
            if callee is None or callee == caller or not callee.startswith('src/executor/'):
                continue
            if not caller.startswith('src/executor/'):
                if caller.startswith(('src/parser/', 'src/planner/')):
                    failures.append('%s calls %s of %s: the executor is above the planner and parser'
                                    % (caller, sym, callee))
                continue
            n_calls += 1
            edges[caller].add(callee)
            if caller in rank and callee in rank and rank[callee] <= rank[caller]:
                failures.append('%s calls %s of %s, which is not below it' % (caller, sym, callee))
    if n_calls == 0:
        failures.append('found no call between executor files: the objects were not read')
    cycle = find_cycle(edges)
    if cycle:
        failures.append('cycle: ' + ' -> '.join(cycle))

    if failures:
        print('\n'.join(failures))
        return 1
    print('%d files in %d layers, %d calls between them, all downward, no cycle'
          % (len(built & set(on_disk)), len(layers), n_calls))
    return 0


if __name__ == '__main__':
    sys.exit(main())
