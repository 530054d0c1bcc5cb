"""One reader per format: each finds the fields, the body and the title's fallback where its format keeps
them, and hands them to the article model (newsdrop.ingest.article_model), so a change to one format
touches only its reader."""

# Front matter and JSON objects: an article needs a flat set of fields, and deeper nesting is how YAML and
# JSON bombs are built.
MAX_NESTING = 20
