"""Planning runs on a thread pool (intake.prepare): sentence splitting must give each thread the same answer.

pysbd's Segmenter keeps the text it is working on in an attribute (`original_text`) and reads it
back while mapping sentences to spans, so one Segmenter shared by two threads mixes their texts up.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from syndicate.compose.sentences import _segmenter


def test_segmenters_used_by_concurrent_threads_do_not_mix_their_texts() -> None:
    texts = [" ".join(f"Dr. Who {i}-{j} is here." for j in range(100)) for i in range(16)]
    expected = [_segmenter("en").segment(t) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda t: _segmenter("en").segment(t), texts))
            assert got == expected
