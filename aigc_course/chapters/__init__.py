"""The chapters' own material, one module (or folder) per chapter, on top of the library.

A chapter module holds what only that chapter uses: its experiments, ablation rows, theory checks,
exercises and quick/full budgets. It imports the library (``aigc_course.data``, ``models``,
``train``, ``metrics``, ``viz``, ...) and never another chapter; the library never imports a
chapter (``tests/test_layout.py`` reads the imports and holds both rules). Chapters share only
through the library or through saved artefacts (e.g. chapter 2's trained generator, which chapter 4
loads with :func:`aigc_course.train.dcgan.load_generator`).
"""
