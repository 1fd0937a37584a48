#!/usr/bin/env python3
"""Turns JFR execution samples into collapsed stacks and an SVG flame graph (standard library only).

    jfr print --stack-depth 96 --events jdk.ExecutionSample rec.jfr > samples.txt
    python3 bench/flamegraph.py samples.txt out.svg [--threads http-nio] [--title "..."]

Prints the share of samples per top-level area (our code, Spring, Tomcat, Jackson, JDK) and the hottest frames,
so that a note can quote the profile, and writes the collapsed stacks next to the SVG (.collapsed).
"""
import argparse
import collections
import html
import re

FRAME = re.compile(r'^\s+(\S+?)\(.*\)\s+line:')


def samples(path, thread_filter):
    """Yields the stack (root first) of every sample whose thread name contains thread_filter."""
    stack, thread, inside = [], '', False
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('jdk.ExecutionSample'):
                stack, thread, inside = [], '', False
            elif 'sampledThread = ' in line:
                thread = line.split('"')[1] if '"' in line else ''
            elif line.strip().startswith('stackTrace = ['):
                inside = True
            elif inside and line.strip() == ']':
                inside = False
                if stack and (not thread_filter or thread_filter in thread):
                    yield list(reversed(stack))
            elif inside:
                m = FRAME.match(line)
                if m:
                    stack.append(m.group(1))
                elif line.strip() == '...':
                    stack.append('[truncated]')


def area(frame):
    if frame.startswith('dev.kvstore.'):
        return 'kv-store'
    if frame.startswith(('tools.jackson.', 'com.fasterxml.')):
        return 'jackson'
    if frame.startswith('org.springframework.security.'):
        return 'spring-security'
    if frame.startswith('org.springframework.'):
        return 'spring'
    if frame.startswith(('org.apache.', 'jakarta.')):
        return 'tomcat'
    if frame.startswith('io.micrometer.'):
        return 'micrometer'
    return 'jdk'


COLORS = {'kv-store': '#e8553e', 'jackson': '#d9a02b', 'spring-security': '#8e6cc7', 'spring': '#5fa84e',
          'tomcat': '#4a90c2', 'micrometer': '#c25aa0', 'jdk': '#9a9a9a'}


def build(stacks):
    root = {'n': 0, 'kids': {}}
    for s in stacks:
        node = root
        node['n'] += 1
        for f in s:
            node = node['kids'].setdefault(f, {'n': 0, 'kids': {}})
            node['n'] += 1
    return root


def svg(root, title, width=1600, row=16):
    total = root['n']
    rects = []
    depth_max = [0]

    def walk(node, x, depth):
        depth_max[0] = max(depth_max[0], depth)
        for name, kid in sorted(node['kids'].items()):
            w = kid['n'] / total * width
            if w >= 0.3:
                rects.append((x, depth, w, name, kid['n']))
                walk(kid, x, depth + 1)
            x += w

    walk(root, 0.0, 0)
    height = (depth_max[0] + 3) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
           f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>'
           f'<text x="4" y="13" font-size="13">{html.escape(title)} ({total} samples; hover for names)</text>']
    for x, depth, w, name, n in rects:
        y = height - (depth + 1) * row
        label = name.rsplit('.', 2)[-2] + '.' + name.rsplit('.', 1)[-1] if name.count('.') >= 2 else name
        chars = int(w / 6.6)
        text = html.escape(label[:chars]) if chars >= 3 else ''
        out.append(f'<g><title>{html.escape(name)}: {n} ({n / total:.1%})</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.1):.1f}" height="{row - 1}" '
                   f'fill="{COLORS[area(name)]}"/><text x="{x + 2:.1f}" y="{y + 11}">{text}</text></g>')
    legend_x = 4
    for a, c in COLORS.items():
        out.append(f'<rect x="{legend_x}" y="18" width="10" height="10" fill="{c}"/>'
                   f'<text x="{legend_x + 14}" y="27">{a}</text>')
        legend_x += 20 + 7 * len(a)
    out.append('</svg>')
    return '\n'.join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('samples')
    p.add_argument('svg')
    p.add_argument('--threads', default='')
    p.add_argument('--title', default='CPU samples')
    a = p.parse_args()
    stacks = list(samples(a.samples, a.threads))
    if not stacks:
        raise SystemExit('no samples found')
    with open(a.svg.rsplit('.', 1)[0] + '.collapsed', 'w') as f:
        for s, n in collections.Counter(';'.join(s) for s in stacks).most_common():
            f.write(f'{s} {n}\n')
    with open(a.svg, 'w') as f:
        f.write(svg(build(stacks), a.title))
    total = len(stacks)
    self_time = collections.Counter(s[-1] for s in stacks)
    areas = collections.Counter(area(s[-1]) for s in stacks)
    print(f'{total} samples; self time by area: '
          + ', '.join(f'{k} {v / total:.0%}' for k, v in areas.most_common()))
    inclusive = collections.Counter()
    for s in stacks:
        for f in set(s):
            if f.startswith('dev.kvstore.'):
                inclusive[f] += 1
    print('hottest frames (self):')
    for f, n in self_time.most_common(15):
        print(f'  {n / total:6.1%}  {f}')
    print('our code (inclusive):')
    for f, n in inclusive.most_common(12):
        print(f'  {n / total:6.1%}  {f}')


if __name__ == '__main__':
    main()
