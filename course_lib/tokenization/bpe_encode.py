"""BPE encoding of one pre-split chunk: the readable rule, and the same rule in O(n log n).

Taught in 01_tokenization (section "Encoding a long text"). Both functions apply tiktoken's rule:
repeatedly merge the adjacent pair of parts whose joined bytes have the lowest rank (leftmost on
ties) until no joined pair is a token; a chunk that is itself a token is taken whole. `ranks` maps
token bytes to their id and must hold every single byte.
Deliberately left out: the chunk cache and the regex pre-split (BPETokenizer does those).
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush


def lowest_pair(parts: list[bytes], ranks: dict[bytes, int]) -> tuple[int, int] | None:
    """(rank, i) of the adjacent pair parts[i] + parts[i + 1] with the lowest rank; None if no pair is a token."""
    best = None
    for i in range(len(parts) - 1):
        rank = ranks.get(parts[i] + parts[i + 1])
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, i)
    return best


def encode_chunk_naive(data: bytes, ranks: dict[bytes, int]) -> list[int]:
    """The rule as written: scan every pair, merge the best one, scan again. O(n^2) for n bytes."""
    if data in ranks:
        return [ranks[data]]
    parts = [data[i:i + 1] for i in range(len(data))]
    while (best := lowest_pair(parts, ranks)) is not None:
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]


def encode_chunk(data: bytes, ranks: dict[bytes, int]) -> list[int]:
    """The same ids as encode_chunk_naive, in O(n log n): a linked list of parts and a queue of pairs.

    A part is named by the position of its first byte: nxt[i] is where part i ends (the next part
    starts), prv[i] where the part before it starts, and rank_at[i] the rank of the pair that starts at
    part i (None: not a token, or part i was swallowed). Candidate pairs wait in one bucket per rank; a
    small heap of ranks gives the lowest, and its bucket is taken leftmost first. A merge changes only
    the two pairs around the new part: they go to their buckets, and outdated entries are skipped when
    taken (a pair only ever grows, so an outdated entry never matches rank_at again). If a merge makes
    a pair of lower rank than the bucket being emptied, that bucket waits (as a heap) until it is next.
    """
    token = ranks.get(data)
    if token is not None:
        return [token]
    n, get = len(data), ranks.get
    nxt = list(range(1, n + 1))
    prv = list(range(-1, n - 1))
    rank_at = [get(data[i:i + 2]) for i in range(n - 1)] + [None]
    buckets: dict[int, list[int]] = {}  # rank -> positions (heaped: a min-heap; otherwise unsorted)
    for i, r in enumerate(rank_at):
        if r is not None:
            buckets.setdefault(r, []).append(i)
    queue = list(buckets)  # the ranks that have a bucket
    heapify(queue)
    heaped = set()

    def add(r: int, i: int) -> None:
        bucket = buckets.get(r)
        if bucket is None:
            buckets[r] = [i]
            heappush(queue, r)
        elif r in heaped:
            heappush(bucket, i)
        else:
            bucket.append(i)

    while queue:
        rank = heappop(queue)
        todo = buckets[rank]
        as_heap = rank in heaped
        if not as_heap:
            todo.sort(reverse=True)  # pop() from the end gives the leftmost
        while todo:
            left = heappop(todo) if as_heap else todo.pop()
            if rank_at[left] != rank:
                continue  # outdated: merged away, or grown since it was added
            right = nxt[left]
            end = nxt[right]
            nxt[left], rank_at[right] = end, None  # `right` joins `left`
            if end < n:
                prv[end] = left
            rank_at[left] = r = get(data[left:nxt[end]]) if end < n else None  # new part + the next one
            lower = r is not None and r < rank
            if r is not None:
                add(r, left)
            before = prv[left]
            if before >= 0:
                rank_at[before] = r = get(data[before:end])  # the part before + the new part
                if r is not None:
                    add(r, before)
                    lower = lower or r < rank
            if lower:
                break  # a lower rank appeared: it goes first
        if todo:
            if not as_heap:
                todo.reverse()  # ascending: a valid min-heap from now on
                heaped.add(rank)
            heappush(queue, rank)
        else:
            del buckets[rank]
            heaped.discard(rank)
    ids, i = [], 0
    while i < n:
        ids.append(ranks[data[i:nxt[i]]])
        i = nxt[i]
    return ids
