/* value.h: sample values parsed and printed exactly as Prometheus does. */
#ifndef VALUE_H
#define VALUE_H

#include <stddef.h>
#include <stdint.h>

/* Prometheus' staleness marker: a NaN with this exact bit pattern. */
#define VALUE_STALE_BITS UINT64_C(0x7ff0000000000002)
double value_stale(void);
int value_is_stale(double v);

/*
 * Parses a sample value as Prometheus' text parser does (Go ParseFloat:
 * decimal, exponent, "NaN", "+Inf", "-Inf", "Inf", case-insensitive), and
 * the token "stale" of the obs line format, which yields the staleness NaN.
 * Reads all of s[0..len); returns 0, or -1 if it is not a value.
 */
int value_parse(const char *s, size_t len, double *out);

/*
 * Writes v as Prometheus writes it (Go strconv 'g' with the shortest
 * round-trip precision: "1", "0.25", "1e+06", "-3.5e-07", "NaN", "+Inf",
 * "-Inf"), and "stale" for the staleness marker.  dst must hold
 * VALUE_FMT_MAX bytes; returns the length written (NUL-terminated).
 */
#define VALUE_FMT_MAX 32
size_t value_format(double v, char *dst);

/*
 * 1 if s[0..len) is a plain decimal that value_format() writes exactly so
 * for the value value_parse() reads from it ("0", "-3", "1550.5",
 * "0.0025"; not "1.50", "+3", "1e+06", ".5", "1000000" or any text with
 * more than 15 significant digits), else 0.  A writer may then copy the
 * text instead of parsing and formatting it.  Cheap, and conservative:
 * 0 says nothing.
 */
int value_canonical(const char *s, size_t len);

#endif
