#!/usr/bin/env python3
"""Turns a scheme's version list into the pairs its native tool is asked to order.

Why: every generator (Python, PHP, R, Java, shell) reads the same kind of input, `a<TAB>b`
lines, and appends the native tool's verdict; choosing the pairs lives here once.

Usage: pairs.py <scheme>.versions [seed] > pairs.tsv
Each version is paired with itself (it must equal itself), with its neighbours in the list
(lists are written in roughly ascending order, so neighbours are the close calls), and with
eight others at random (seeded, so reruns give the same pairs).
"""
import random
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        listed = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    unique = list(dict.fromkeys(listed))
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 13)
    pairs = []
    for i, a in enumerate(unique):
        pairs.append((a, a))
        if i + 1 < len(unique):
            pairs.append((a, unique[i + 1]))
        for b in rng.sample(unique, min(8, len(unique))):
            if b != a:
                pairs.append((a, b) if rng.random() < 0.5 else (b, a))
    for a, b in dict.fromkeys(pairs):
        print(f"{a}\t{b}")


if __name__ == "__main__":
    main()
