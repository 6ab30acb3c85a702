"""BPE training: count adjacent pairs, merge the most frequent, repeat; fast, and equal to the naive loop.

Taught in 01_tokenization (sections "Byte-pair encoding by hand" and "The training loop"); BPETokenizer.train
calls learn_merges. Deliberately left out: training on more text than fits in memory.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from itertools import pairwise


def count_pairs(ids: list[int], counts: dict | None = None, weight: int = 1) -> dict:
    """How often each adjacent pair occurs in `ids` (overlaps count: [5, 5, 5] has (5, 5) twice)."""
    counts = {} if counts is None else counts
    for pair in pairwise(ids):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of `pair` in `ids`, scanning left to right, by `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def learn_merges(chunks: dict[str, int], n_tokens: int) -> dict[tuple[int, int], int]:
    """Merges {pair: new id} in training order until there are `n_tokens` ordinary tokens.

    `chunks` maps each distinct pre-split chunk to its frequency. Each step merges the most frequent
    pair; ties go to the smallest pair of ids (the earliest tokens). If a pair's bytes already form a
    token (e.g. (a, bc) after (ab, c)), the merge reuses that id: no two ids ever share bytes.
    Fast: pair counts and an index pair -> chunks are updated only where a merge changed something,
    and the best pair comes from a heap whose outdated entries are skipped when popped.
    """
    words = [list(c.encode("utf-8")) for c in chunks]
    freqs = list(chunks.values())
    counts, where = {}, defaultdict(set)
    for i, w in enumerate(words):
        count_pairs(w, counts, freqs[i])
        for pair in pairwise(w):
            where[pair].add(i)
    heap = [(-c, pair) for pair, c in counts.items()]
    heapq.heapify(heap)
    vocab = [bytes([b]) for b in range(256)]
    id_of = {b: i for i, b in enumerate(vocab)}
    merges = {}
    while len(vocab) < n_tokens and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # outdated entry: the count changed after it was pushed
        joined = vocab[pair[0]] + vocab[pair[1]]
        if joined not in id_of:
            id_of[joined] = len(vocab)
            vocab.append(joined)
        new_id = merges[pair] = id_of[joined]
        changed = set()
        for i in where.pop(pair):
            old = words[i]
            new = merge_pair(old, pair, new_id)
            if len(new) == len(old):
                continue  # the index is allowed to be stale
            for p in pairwise(old):
                counts[p] -= freqs[i]
                changed.add(p)
            for p in pairwise(new):
                counts[p] = counts.get(p, 0) + freqs[i]
                changed.add(p)
                where[p].add(i)
            words[i] = new
        for p in changed:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                del counts[p]
    return merges
