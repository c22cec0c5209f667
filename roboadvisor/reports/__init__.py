"""The report layer: view models built once from results, rendered for the terminal, JSON and
HTML, and the one en/zh message catalog every user-facing text comes from."""
