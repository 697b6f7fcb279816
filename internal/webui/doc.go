// Package webui holds the end-to-end tests of the web UI (static/app): a
// real Chromium, driven through the DevTools protocol, against a running
// `gatehouse serve`. It has no code of its own outside its tests.
package webui
