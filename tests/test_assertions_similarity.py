"""rouge-n, bleu, gleu, meteor: scores, thresholds and `not-` (1 - score)."""

from __future__ import annotations

import pytest
from assertion_helpers import grade, one

from workbench.assertions.similarity import bleu_score, gleu_score, meteor_score, rouge_n_score, treebank_tokenize
from workbench.errors import AssertionConfigError


def test_treebank_tokens() -> None:
    assert treebank_tokenize("I can't go, he said.") == ["I", "ca", "n't", "go", ",", "he", "said", "."]
    assert treebank_tokenize("cannot") == ["can", "not"]


def test_rouge() -> None:
    assert rouge_n_score("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert rouge_n_score("the cat", "the dog") == pytest.approx(0.5)
    assert one({"type": "rouge-n", "value": "the cat sat"}, "the cat sat") == (True, 1.0)
    assert one({"type": "rouge-n", "value": "the cat"}, "the dog") == (False, 0.5)
    assert one({"type": "rouge-n", "value": "the cat", "threshold": 0.5}, "the dog") == (True, 0.5)
    p, s = one({"type": "not-rouge-n", "value": "a b c d"}, "a b c x")  # 0.75 >= 0.75: not- fails
    assert p is False and s == pytest.approx(0.25)
    p, s = one({"type": "not-rouge-n", "value": "a b c d"}, "a x y z")
    assert p is True and s == pytest.approx(0.75)


def test_bleu() -> None:
    assert bleu_score("the cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(1.0)
    # one substituted word in five: only 1e-7 smoothing (QUIRKS 22)
    assert bleu_score("the quick brown fox jumps", ["the quick brown dog jumps"]) == pytest.approx(0.0107, abs=1e-4)
    assert bleu_score("", ["x"]) == 0.0
    assert one({"type": "bleu", "value": ["nope", "the cat sat on the mat"]}, "the cat sat on the mat")[0] is True
    p, s = one({"type": "not-bleu", "value": "the cat sat on the mat"}, "the cat sat on the mat")
    assert p is False and s == pytest.approx(0.0)


def test_gleu() -> None:
    assert gleu_score("The cat.", ["the cat"]) == 1.0
    assert one({"type": "gleu", "value": "a b c d"}, "a b x y") == (False, pytest.approx(0.3))
    assert one({"type": "gleu", "value": "a b c d", "threshold": 0.3}, "a b x y")[0] is True
    assert one({"type": "not-gleu", "value": "a b c d"}, "a b x y") == (True, pytest.approx(0.7))
    assert one({"type": "gleu", "value": "x"}, "   ")[1] == 0.0  # whitespace-only scores 0
    with pytest.raises(AssertionConfigError):  # but an empty output throws (QUIRKS 23)
        grade({"type": "gleu", "value": "x"}, "")


def test_meteor_is_real() -> None:
    assert meteor_score("the cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(0.9977, abs=1e-3)
    # stems match: "running" ~ "runs"
    assert meteor_score("he runs fast", ["he running fast"]) > meteor_score("he walks fast", ["he running fast"])
    assert one({"type": "meteor", "value": "the cat sat on the mat"}, "the cat sat on the mat")[0] is True
    p, s = one({"type": "not-meteor", "value": "completely different words"}, "nothing alike here")
    assert p is True and s == pytest.approx(1.0)
    assert one({"type": "meteor", "value": "a b c", "threshold": 0.99}, "a b c")[0] is False
