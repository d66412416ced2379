"""The per-process memory of papers that lets a save be one statement."""

import threading

import pytest

from examapp.errors import DomainError
from examapp.sitting.saving import PaperRules, ResponseRule, clean_response


def test_the_memory_is_bounded_and_forgets_the_least_recently_used():
    memory = PaperRules(capacity=2)
    single = {1: ResponseRule("single", 4, 0)}
    memory.remember(1, "t1", single)
    memory.remember(2, "t2", single)
    assert memory.get(1, "t1") is not None  # 1 is now the most recently used
    memory.remember(3, "t3", single)
    assert len(memory) == 2
    assert memory.get(2, "t2") is None and memory.get(1, "t1") is not None and memory.get(3, "t3") is not None


def test_a_page_is_known_only_by_its_own_token():
    memory = PaperRules()
    memory.remember(7, "page-a", {1: ResponseRule("judge", 0, 0)})
    assert memory.get(7, "page-b") is None and memory.get(8, "page-a") is None


def test_identical_rules_are_shared_between_papers():
    memory = PaperRules()
    memory.remember(1, "a", {1: ResponseRule("single", 4, 0)})
    memory.remember(2, "b", {5: ResponseRule("single", 4, 0)})
    assert memory.get(1, "a")[1] is memory.get(2, "b")[5]


def test_concurrent_use_keeps_the_bound():
    memory = PaperRules(capacity=50)

    def fill(offset):
        for i in range(500):
            memory.remember(offset + i, "t", {1: ResponseRule("single", 4, 0)})
            memory.get(offset + i // 2, "t")

    threads = [threading.Thread(target=fill, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(memory) == 50


@pytest.mark.parametrize(
    "rule, response, cleaned",
    [
        (ResponseRule("single", 4, 0), "D", "D"),
        (ResponseRule("single", 4, 0), "", None),
        (ResponseRule("multiple", 5, 0), "ECA", "ACE"),
        (ResponseRule("judge", 0, 0), "F", "F"),
        (ResponseRule("blank", 0, 2), ["一", ""], ["一", ""]),
        (ResponseRule("blank", 0, 2), [" ", ""], None),
    ],
)
def test_responses_are_cleaned_to_the_version_terms(rule, response, cleaned):
    assert clean_response(rule, response) == cleaned


@pytest.mark.parametrize(
    "rule, response",
    [
        (ResponseRule("single", 4, 0), "E"),
        (ResponseRule("multiple", 4, 0), "AE"),
        (ResponseRule("blank", 0, 2), ["一"]),
        (ResponseRule("blank", 0, 1), ["长" * 201]),
        (ResponseRule("blank", 0, 1), [3]),
    ],
)
def test_responses_no_page_would_send_are_refused(rule, response):
    with pytest.raises(DomainError):
        clean_response(rule, response)
