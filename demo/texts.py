"""Project-written text templates: reviews (sentiment matches the rating) and search typos."""

import numpy as np

REVIEW_TITLES: dict[int, list[str]] = {
    1: ["Really disappointed", "Do not buy", "Broke within a week", "Waste of money", "Awful"],
    2: ["Not great", "Expected better", "Poor quality for the price", "Meh", "Wouldn't rebuy"],
    3: ["It's okay", "Does the job", "Average", "Fine but nothing special", "Mixed feelings"],
    4: ["Very good", "Happy with it", "Good value", "Nice quality", "Would recommend"],
    5: ["Love it!", "Perfect", "Absolutely brilliant", "Best purchase this year", "Superb"],
}
REVIEW_BODIES: dict[int, list[str]] = {
    1: [
        "The {noun} arrived damaged and customer service took ages to reply. Terrible.",
        "Cheap and flimsy. The {noun} stopped working after a few days. Returning it.",
        "Looks nothing like the photos. Very poor quality {noun}, avoid.",
        "Honestly the worst {noun} I have bought. Complete waste of money.",
    ],
    2: [
        "The {noun} is smaller than I expected and feels a bit cheap.",
        "Not terrible, but the {noun} has some quality issues. Probably won't buy again.",
        "Disappointing. The {noun} works, but only just, and the finish is poor.",
    ],
    3: [
        "The {noun} is fine. Does what it says, nothing more, nothing less.",
        "Decent {noun} for the price, though delivery was slow.",
        "Okay {noun}. Some good points, some bad. Average overall.",
    ],
    4: [
        "Really nice {noun}, good quality and arrived quickly. Would buy again.",
        "Very happy with this {noun}. Only small niggle is the packaging.",
        "Good {noun}, well made and great value for money.",
    ],
    5: [
        "Absolutely love this {noun}! Excellent quality and fast delivery.",
        "Perfect {noun}, exactly as described. Have already recommended it to friends.",
        "Brilliant {noun}, beautifully made. Fantastic value, five stars.",
        "Best {noun} I've owned. Wonderful quality, will definitely buy again.",
    ],
}


def typo(word: str, rng: np.random.Generator) -> str:
    """One realistic keyboard slip: drop, double, swap or replace a letter."""
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    near = "qwertyuiopasdfghjklzxcvbnm"
    return word[:i] + near[int(rng.integers(0, len(near)))] + word[i + 1 :]
