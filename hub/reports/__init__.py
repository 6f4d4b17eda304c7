"""Pure report logic over the store's counts: ranges, local time, opening hours, scores, the store page."""
