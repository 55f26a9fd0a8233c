"""Beyond a post's words: the text in its images (issue 18).

`fetch` fetches an image as hostile input (public addresses only, limits before decoding),
`ocr` reads it with tesseract, and `consumer` runs both beside ingest as a consumer of the
accepted stream, writing the text back through the core's writer (docs/media.md)."""
