"""``make site``: the course as a static site, built offline with Sphinx, MyST-NB and the Sphinx Book Theme.

Why this stack: it is what Jupyter Book 1 is built on, each piece pip-installable and well
kept; MyST-NB renders the lessons from their **saved outputs** (no execution: the site shows
exactly what nbval checks), MyST-Parser reads the guides' Markdown as it is on GitHub, and the
theme ships its CSS, JavaScript and icons inside the package, so the site needs no CDN and
works from ``file://`` as from any static host. Sphinx's own search index is a local script.

The build stages a copy of the course in a temporary folder, laid out as the repository is
(so every relative link the guides and lessons already use still resolves), with:

- ``index.md``: the course map, from the lessons themselves (:func:`lessons`: title, learning
  objectives, and the run time their last cell printed when they were last executed);
- the lessons (``notebooks/``), the guides (``docs/``), README and the exercises' README as pages;
- every other file a page links to (code, configuration) as a plain file beside them, and a
  listing page for each folder a page links to;
- the sidebar in the course's order, the home page and every page's footer (:mod:`.layout`).

:func:`check` then reads the built HTML: no script, stylesheet or image from elsewhere, every
local link pointing at a file that exists, no table left as text, and every word of a lesson's
or a guide's Markdown on its page.
"""
