"""Helpers for writing reference-bot timelines (sim/replay/include/trocar/replay/Timeline.h).

A laparoscopic instrument's tip follows the line from the hand through its port, so a bot
places a tip by putting the hand on that line, one shaft length (0.36 m) from the tip; the
roll about the shaft comes from the hand's X axis. Timelines are plain YAML keyframes; the
generated files are committed next to their generator, and the YAML files are the bots.
"""
import math

SHAFT_M = 0.36  # sim/instruments: default laparoscopic shaft length


def norm(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def sub(a, b):
    return [a[i] - b[i] for i in range(3)]


def add(a, b):
    return [a[i] + b[i] for i in range(3)]


def mul(a, s):
    return [x * s for x in a]


def dot(a, b):
    return sum(a[i] * b[i] for i in range(3))


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def hand_for_tip(tip, port, jaw_dir=None):
    """Hand pose that puts a port instrument's tip at `tip`; the jaws open along `jaw_dir`
    (projected normal to the shaft). Returns (position, rotation_deg) with the timeline's
    Euler convention R = Ry * Rx * Rz."""
    z = norm(sub(port, tip))  # tool +Z: from the tip back along the shaft
    if jaw_dir is None:
        jaw_dir = [0.0, 1.0, 0.0] if abs(z[1]) < 0.9 else [1.0, 0.0, 0.0]
    y = norm(sub(jaw_dir, mul(z, dot(jaw_dir, z))))
    x = cross(y, z)
    r = [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]]
    rx = math.asin(max(-1.0, min(1.0, -r[1][2])))
    ry = math.atan2(r[0][2], r[2][2])
    rz = math.atan2(r[1][0], r[1][1])
    return add(tip, mul(z, SHAFT_M)), [math.degrees(rx), math.degrees(ry), math.degrees(rz)]


def fmt(v):
    return "[%s]" % ", ".join("%.5f" % x for x in v)


class Timeline:
    def __init__(self, header):
        self.header = header
        self.keys = {}  # t -> {hand: text}

    def hand(self, t, hand, tip, port, trigger, jaw_dir=None):
        pos, rot = hand_for_tip(tip, port, jaw_dir)
        self.keys.setdefault(round(t, 3), {})[hand] = "{position: %s, rotation_deg: %s, trigger: %.2f}" % (
            fmt(pos), fmt(rot), trigger)

    def write(self, path):
        with open(path, "w") as out:
            for line in self.header.strip().splitlines():
                out.write("# %s\n" % line)
            out.write("keyframes:\n")
            for t in sorted(self.keys):
                hands = ", ".join("%s: %s" % (h, self.keys[t][h]) for h in ("left", "right") if h in self.keys[t])
                out.write("  - {t: %.3f, %s}\n" % (t, hands))
