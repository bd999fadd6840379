import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraud.ml.windows import EntityWindows


def brute_sums(keys, times, values, lo, hi):
    out = np.zeros(len(keys))
    for i in range(len(keys)):
        m = (keys == keys[i]) & (times > times[i] - lo) & (times <= times[i] - hi)
        out[i] = values[m].sum()
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 9)), min_size=1, max_size=40
    ),
    st.integers(1, 20),
    st.integers(0, 10),
)
def test_window_sums_match_a_brute_force_scan(rows, width, delay):
    keys = np.array([r[0] for r in rows])
    times = np.array([r[1] for r in rows], dtype=float)
    values = np.array([r[2] for r in rows], dtype=float)
    got = EntityWindows(keys, times).sums(values, lo=width + delay, hi=delay)
    np.testing.assert_allclose(got, brute_sums(keys, times, values, width + delay, delay))


def test_last_flagged_row_respects_delay_and_key():
    keys = np.array([1, 1, 1, 2, 2])
    times = np.array([0.0, 10.0, 30.0, 5.0, 30.0])
    flag = np.array([True, False, False, False, False])
    since = EntityWindows(keys, times).last_time_where(flag, hi=15)
    # row at t=10 is only 10s after the flag: with a 15s delay it is not known yet
    assert np.isnan(since[1])
    assert since[2] == 30.0
    # another key never inherits the flag
    assert np.isnan(since[3]) and np.isnan(since[4])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 40), st.booleans()), min_size=1, max_size=40
    ),
    st.integers(1, 20),
    st.integers(0, 10),
)
def test_first_flagged_row_in_window_matches_a_brute_force_scan(rows, width, delay):
    keys = np.array([r[0] for r in rows])
    times = np.array([r[1] for r in rows], dtype=float)
    flag = np.array([r[2] for r in rows])
    got = EntityWindows(keys, times).first_time_where(flag, lo=width + delay, hi=delay)
    for i in range(len(rows)):
        inside = (
            (keys == keys[i])
            & flag
            & (times > times[i] - width - delay)
            & (times <= times[i] - delay)
        )
        want = times[i] - times[inside].min() if inside.any() else np.nan
        np.testing.assert_equal(got[i], want)
