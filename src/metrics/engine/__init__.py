"""The indicator engine: the catalogue (indicators as data), the fact sources and their SQL, the
statistics (rates, means, intervals), baselines, targets and small-group suppression.

It reads the store and never imports Streamlit, the import service or presentation code.
"""
