"""What people see: headlines, status words, charts (Altair), number formatting for pages, the
council pack and its exports (PPTX, PDF, XLSX, CSV).

Above the engine, below the UI and the CLI; never imports Streamlit.
"""
