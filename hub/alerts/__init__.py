"""Alerts and scheduled reports: rules and their evaluation (pure, over the store's counts), messages in the
user's language, e-mail and webhook delivery with retries (their own thread), and the report schedule."""
