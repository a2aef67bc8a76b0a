"""One module per screen: the parts (cards, forms, sections) that only that screen draws.

The rule: ``pages/<name>.py`` reads the widgets and composes; whatever of it is longer than a
call lives in ``metrics.ui.screens.<name>`` — ``pages/antes.py`` → :mod:`.antes`, and so on
(the home page, ``home`` in ``app.py``, → :mod:`.inicio`). A page whose parts are all shared
(``pages/impacto.py``) has no module here. What several screens draw (the cached results, the
sidebar, chart cards, empty states) stays in :mod:`metrics.ui`; what to compute for a person
is :mod:`metrics.selection`'s.
"""
