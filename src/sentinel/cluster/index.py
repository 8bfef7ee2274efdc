"""Which open story a new post belongs to: locality-sensitive hashing over MinHash bands.

A linear scan compares a post with every post of the window; the bands make a lookup touch only
posts that agree with it on at least one whole band. With 32 bands of 4 rows, a pair at Jaccard
0.5 becomes a candidate with probability 1-(1-0.5^4)^32 ≈ 0.87, at 0.7 ≈ 0.9999, at 0.2 ≈ 0.05;
the candidates are then checked with the full signature, so the bands cost recall only at the
threshold's edge, never precision.
"""

from __future__ import annotations

from sentinel.cluster.minhash import (
    PERMUTATIONS,
    TITLE_PERMUTATIONS,
    Signature,
    similarity,
    title_similarity,
)

ROWS = 4
TEXT_BANDS = PERMUTATIONS // ROWS
TITLE_BANDS = TITLE_PERMUTATIONS // ROWS


class StoryIndex:
    def __init__(self, *, threshold: float = 0.5, title_threshold: float = 0.8) -> None:
        self.threshold = threshold
        self.title_threshold = title_threshold
        self._sigs: list[tuple[int, Signature]] = []  # (story id, post signature)
        self._buckets: dict[int, int | list[int]] = {}

    def __len__(self) -> int:
        return len(self._sigs)

    def _keys(self, sig: Signature) -> list[int]:
        # One int per band (band number in the high bits): a tuple of an int and a bytes object
        # cost three objects per key, and an index holds 48 keys per post.
        text = sig.text.tobytes()
        step = ROWS * 4
        keys = [
            (b << 128) | int.from_bytes(text[b * step : (b + 1) * step], "little")
            for b in range(TEXT_BANDS)
        ]
        if not (sig.title == sig.title[0]).all():  # an empty title would bucket everything
            title = sig.title.tobytes()
            keys += [
                ((TEXT_BANDS + b) << 128)
                | int.from_bytes(title[b * step : (b + 1) * step], "little")
                for b in range(TITLE_BANDS)
            ]
        return keys

    def add(self, story_id: int, sig: Signature) -> None:
        if sig.empty:
            return
        slot = len(self._sigs)
        self._sigs.append((story_id, sig))
        buckets = self._buckets
        for key in self._keys(sig):
            # Most bands are shared by no other post: a bare slot number, a list only once two
            # posts meet (a list per key was a third of the index's memory).
            held = buckets.get(key)
            if held is None:
                buckets[key] = slot
            elif isinstance(held, int):
                buckets[key] = [held, slot]
            else:
                held.append(slot)

    def find(self, sig: Signature) -> tuple[int, float] | None:
        """(story id, similarity) of the closest post's story above a threshold, else None."""
        if sig.empty:
            return None
        slots: set[int] = set()
        for key in self._keys(sig):
            found = self._buckets.get(key)
            if found is None:
                continue
            if isinstance(found, int):
                slots.add(found)
            else:
                slots.update(found)
        best: tuple[int, float] | None = None
        for slot in sorted(slots):  # sorted: ties go to the oldest post, whatever the set order
            story_id, other = self._sigs[slot]
            score = similarity(sig, other)
            if score < self.threshold:
                title = title_similarity(sig, other)
                if title < self.title_threshold:
                    continue
                score = max(score, title)
            if best is None or score > best[1]:
                best = (story_id, score)
        return best
