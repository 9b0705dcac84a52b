/* t_docker.c: unit tests for lib/docker.c, the Engine API client's pure parts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "docker.h"
#include "json.h"
#include "log.h"
#include "tap.h"
#include "banned.h"

#define ID_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static int collect(const char *id, void *arg)
{
	struct buf *b = arg;

	return buf_addf(b, "%s;", id);
}

static void test_ids_and_list(void)
{
	static const char list[] =
	    "[{\"Id\":\"" ID_A "\",\"Names\":[\"/a\"]},"
	    "{\"Id\":\"short\"},{\"Names\":[]},{\"Id\":42},"
	    "{\"Id\":\"" ID_B "\"}]";
	struct json_doc doc;
	struct buf got = BUF_INIT(4096);

	ok(docker_is_id(ID_A, DOCKER_ID_LEN), "64 lowercase hex digits are an ID");
	ok(!docker_is_id(ID_A, DOCKER_ID_LEN - 1), "63 digits are not");
	ok(!docker_is_id("0123456789ABCDEF0123456789abcdef0123456789abcdef"
			 "0123456789abcdef", DOCKER_ID_LEN),
	   "upper case is not");
	json_doc_init(&doc);
	ok(docker_parse_list(&doc, list, strlen(list), collect, &got) == 0,
	   "a container list parses");
	is_str(buf_cstr(&got), ID_A ";" ID_B ";",
	       "its IDs in order, entries without one skipped");
	ok(docker_parse_list(&doc, "{}", 2, collect, &got) < 0,
	   "an object is not a list");
	ok(docker_parse_list(&doc, "[", 1, collect, &got) < 0,
	   "broken JSON is not a list");
	json_doc_free(&doc);
	buf_free(&got);
}

static void test_time(void)
{
	static const struct {
		const char *s;
		int ok;
		int64_t ns;
	} t[] = {
		{ "1970-01-01T00:00:00Z", 1, 0 },
		{ "2024-01-02T03:04:05.123456789Z", 1,
		  INT64_C(1704164645123456789) },
		{ "2024-01-02T03:04:05.5Z", 1, INT64_C(1704164645500000000) },
		{ "2024-01-02T05:04:05+02:00", 1, INT64_C(1704164645000000000) },
		{ "2024-01-02T03:04:05.1234567891Z", 1,
		  INT64_C(1704164645123456789) },
		{ "0001-01-01T00:00:00Z", 0, 0 },
		{ "2024-13-02T03:04:05Z", 0, 0 },
		{ "2024-01-02T03:04:05", 0, 0 },
		{ "2024-01-02T03:04:05.Z", 0, 0 },
		{ "yesterday", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t ns = -1;
		int r = docker_parse_time(t[i].s, strlen(t[i].s), &ns);

		if (t[i].ok)
			ok(r == 0 && ns == t[i].ns, "time '%s' is %lld ns", t[i].s,
			   (long long)t[i].ns);
		else
			ok(r < 0, "time '%s' is rejected", t[i].s);
	}
}

static void test_open(void)
{
	struct docker_api d;

	ok(docker_api_open(&d, "unix:///run/none.sock", "t_docker/0", 100) ==
		   0 && strcmp(d.base, "http://docker") == 0 &&
		   strcmp(d.where, "unix:///run/none.sock") == 0,
	   "unix://PATH: requests go to http://docker over the socket");
	docker_api_close(&d);
	ok(docker_api_open(&d, "tcp://127.0.0.1:2375/", "t_docker/0", 100) ==
		   0 && strcmp(d.base, "http://127.0.0.1:2375") == 0,
	   "tcp://HOST:PORT/: requests go to http://HOST:PORT");
	docker_api_close(&d);
	errno = 0;
	ok(docker_api_open(&d, "http://x", "t_docker/0", 100) < 0 &&
		   errno == EINVAL,
	   "another scheme is a bad docker host");
}

int main(void)
{
	log_init("t_docker");
	test_ids_and_list();
	test_time();
	test_open();
	return done_testing();
}
