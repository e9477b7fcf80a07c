"""The dashboard's building blocks; ``app.py`` (the page, its controls and components)
puts them together. See app.py's docstring for what lives where."""
