import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def repeat_log() -> pd.DataFrame:
    """30 customers in 3 taste groups; each re-buys 3 "staples" weekly and tries one random
    item of their group; 6 weeks."""
    rng = np.random.default_rng(0)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for u in range(30):
        group = u % 3
        staples = rng.choice(10, 3, replace=False) + group * 10
        for week in range(6):
            day = start + pd.Timedelta(days=7 * week + u % 5)
            for item in staples:
                rows.append((f"u{u}", f"i{item}", day, 1.0))
            rows.append((f"u{u}", f"i{rng.integers(10) + group * 10}", day, 1.0))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "quantity"])


@pytest.fixture
def basket_log() -> pd.DataFrame:
    """Anonymous baskets: items 0-4 go together, 5-9 go together; one basket per customer."""
    rng = np.random.default_rng(1)
    rows = []
    for b in range(300):
        block = b % 2
        items = rng.choice(5, 3, replace=False) + 5 * block
        for item in items:
            rows.append(
                (f"b{b}", f"i{item}", pd.Timestamp("2024-01-01") + pd.Timedelta(hours=b), 1.0)
            )
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "quantity"])
