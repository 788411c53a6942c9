"""Widgets that are no one screen's: the lazy tree and the JSON view built on it, the
value picker, and status words in the theme's colours."""
