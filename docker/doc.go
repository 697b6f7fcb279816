// Package docker holds the container files of Gatehouse: Dockerfile,
// compose.yml (Gatehouse on MySQL 8) and the image's health probe. Its tests
// check them without a Docker engine, and with one where it runs.
package docker
