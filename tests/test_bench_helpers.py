"""The scale benchmark's pure helpers: reading wrk's report and judging a row."""

from benchmarks.http import parse_wrk
from benchmarks.scale import Row

WRK_REPORT = """Running 10s test @ http://127.0.0.1:8000/healthz
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    44.71ms   12.20ms 120.00ms   70.00%
  3571 requests in 10.01s, 1.02MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:    356.74
Transfer/sec:    104.20KB
"""


def test_wrk_report_is_read():
    figures = parse_wrk(WRK_REPORT)
    assert figures["rps"] == 356.74
    assert figures["requests"] == 3571
    assert figures["non_2xx"] == 5
    assert figures["socket_errors"].endswith("timeout 2")


def test_wrk_report_without_errors():
    report = WRK_REPORT.replace("  Non-2xx or 3xx responses: 5\n", "").replace(
        "  Socket errors: connect 0, read 0, write 0, timeout 2\n", "")
    figures = parse_wrk(report)
    assert (figures["non_2xx"], figures["socket_errors"]) == (0, "")


def test_a_row_meets_every_part_of_its_target():
    assert Row("w", 0.008, 0.006, queries=9, max_ratio=1.5, max_ms=10).met() == "yes"
    assert Row("w", 0.012, 0.010, max_ratio=1.5, max_ms=10).met() == "**no**"  # too slow
    assert Row("w", 0.009, 0.003, max_ratio=1.5, max_ms=10).met() == "**no**"  # ratio
    assert Row("w", 0.01, 0.005, queries=16, max_ratio=5, max_queries=15).met() == "**no**"
    assert Row("w", None, None, ratio=0.45, min_share=0.4).met() == "yes"
    assert Row("w", None, None, ratio=0.3, min_share=0.4).met() == "**no**"
    assert Row("w", 0.01, 0.005).met() == "—"
    assert Row("w", 0.01, 0.005, max_ratio=2, max_ms=10, max_queries=8).target() == (
        "≤ 2×, < 10 ms, ≤ 8 statements")
