# SPDX-License-Identifier: Apache-2.0
"""vtoken's Python helpers: a pytest plugin (``pytest -p vtoken.pytest_plugin``) whose fixtures
give a test a running virtual smart card."""
