"""A notebook with the habits Pynblint flags, for lesson 3.2 to lint."""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def write(folder: Path | None = None) -> Path:
    """Write ``Untitled1.ipynb``, a notebook with the habits Pynblint flags, and return its path.

    No title or text, cells run out of order, an import in a later cell, an empty
    cell, and a cell never run: what a notebook looks like after an afternoon of
    trial and error. It goes to a new temporary folder unless ``folder`` is given.
    """
    path = Path(folder if folder is not None else tempfile.mkdtemp(prefix="pynblint-example-")) / "Untitled1.ipynb"
    cells = [
        new_code_cell("import pandas as pd\ndf = pd.read_csv('data.csv')", execution_count=3),
        new_code_cell("df.describe()", execution_count=1),
        new_code_cell("import numpy as np\nnp.log(df['x'])", execution_count=2),
        new_code_cell("", execution_count=None),
        new_code_cell("model.fit(df)", execution_count=None),
        new_code_cell("df.head()", execution_count=4),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
