"""Producers: turn outside input (inbox files, feeds, HTTP pushes) into RawArticles and submit them."""
