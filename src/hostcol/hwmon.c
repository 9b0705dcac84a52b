/* hwmon.c: the hwmon collector (/sys/class/hwmon chips and their sensors). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int hwmon_init(struct hc *hc)
{
	if (filter_init(&hc->hwmon_chip_filter, "hwmon chip filter",
			hc->hwmon_chip_exclude, hc->hwmon_chip_include) < 0 ||
	    filter_init(&hc->hwmon_sensor_filter, "hwmon sensor filter",
			hc->hwmon_sensor_exclude, hc->hwmon_sensor_include) < 0)
		return -1;
	return 0;
}

/* Lower case, [^a-z0-9:_] as '_' (one per character), '_' trimmed. */
static void clean_name(const char *s, size_t n, char *dst, size_t size)
{
	size_t i = 0, w = 0, start, end;

	while (i < n && w + 1 < size) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			/* One UTF-8 character, one '_'. */
			i++;
			while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			dst[w++] = '_';
			continue;
		}
		c = (unsigned char)tolower(c);
		dst[w++] = (char)((isdigit(c) || (c >= 'a' && c <= 'z') ||
				   c == ':' || c == '_') ? c : '_');
		i++;
	}
	dst[w] = '\0';
	for (start = 0; dst[start] == '_'; start++)
		;
	for (end = w; end > start && dst[end - 1] == '_'; end--)
		;
	memmove(dst, dst + start, end - start);
	dst[end - start] = '\0';
}

static const char *const sensor_types[] = {
	"vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm",
	"temp", "curr", "power", "energy", "humidity", "intrusion", "freq",
};

/*
 * Splits a file name as ^([^0-9]+)([0-9]*)?(_(.+))?$: type, number and
 * property; 0 if it does not match.
 */
static int explode(const char *s, char *type, size_t tsize, long *num,
		   const char **prop)
{
	size_t n = strlen(s), i = 0, d;

	while (i < n && !isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= tsize)
		return 0;
	memcpy(type, s, i);
	type[i] = '\0';
	*num = 0;
	*prop = "";
	d = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i > d) {
		if (i - d > 9)
			return 0;
		*num = strtol(s + d, NULL, 10);
	}
	if (i == n)
		return 1;
	if (s[i] != '_' || i + 1 == n)
		return 0;
	*prop = s + i + 1;
	return 1;
}

struct sval {
	char sensor[64];
	char prop[128];
	char value[129];
};

struct sdata {
	struct sval *v;
	size_t n, cap;
};

static int sdata_set(struct sdata *d, const char *sensor, const char *prop,
		     const char *value)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].sensor, sensor) == 0 &&
		    strcmp(d->v[i].prop, prop) == 0)
			break;
	if (i == d->n) {
		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 64;
			struct sval *nv = realloc(d->v, cap * sizeof(*nv));

			if (!nv)
				return -1;
			d->v = nv;
			d->cap = cap;
		}
		d->n++;
		hc_fmt(d->v[i].sensor, sizeof(d->v[i].sensor), "%s", sensor);
		hc_fmt(d->v[i].prop, sizeof(d->v[i].prop), "%s", prop);
	}
	hc_fmt(d->v[i].value, sizeof(d->v[i].value), "%s", value);
	return 0;
}

static const char *sdata_get(const struct sdata *d, const char *sensor,
			     const char *prop)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].sensor, sensor) == 0 &&
		    strcmp(d->v[i].prop, prop) == 0)
			return d->v[i].value;
	return NULL;
}

/* One read(2) of at most 128 bytes, newlines trimmed, as node_exporter. */
static int read_value(const char *path, char *dst)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;
	size_t s = 0, e;

	if (fd < 0)
		return -1;
	r = read(fd, dst, 128);
	close(fd);
	if (r < 0)
		return -1;
	e = (size_t)r;
	while (e > 0 && dst[e - 1] == '\n')
		e--;
	while (s < e && dst[s] == '\n')
		s++;
	memmove(dst, dst + s, e - s);
	dst[e - s] = '\0';
	return 0;
}

static int collect(const char *dir, struct sdata *d)
{
	struct names ls;
	char path[PATH_MAX + 256], type[64], sensor[96], value[129];
	size_t i, j;

	if (hc_list(dir, &ls) < 0)
		return -1;
	for (i = 0; i < ls.n; i++) {
		const char *prop;
		long num;
		int known = 0;

		if (!explode(ls.v[i], type, sizeof(type), &num, &prop))
			continue;
		for (j = 0; j < sizeof(sensor_types) / sizeof(sensor_types[0]); j++)
			if (strcmp(type, sensor_types[j]) == 0)
				known = 1;
		if (!known)
			continue;
		hc_fmt(path, sizeof(path), "%s/%s", dir, ls.v[i]);
		if (read_value(path, value) < 0)
			continue;
		hc_fmt(sensor, sizeof(sensor), "%s%ld", type, num);
		if (sdata_set(d, sensor, prop, value) < 0) {
			hc_names_free(&ls);
			return -1;
		}
	}
	hc_names_free(&ls);
	return 0;
}

static int gauge(struct out *o, const char *name, const char *help, double v,
		 const char *chip, const char *sensor)
{
	return out_add(o, name, help, OUT_GAUGE, v, "chip", chip, "sensor",
		       sensor, NULL);
}

static int chip_update(struct hc *hc, struct out *o, const char *dir,
		       const char *chip)
{
	struct sdata d = { NULL, 0, 0 };
	char path[PATH_MAX + 64], raw[129], clean[256];
	char **sensors = NULL;
	size_t ns = 0, i, j;
	struct stat st;
	int rc = -1;

	if (collect(dir, &d) < 0)
		goto out;
	hc_fmt(path, sizeof(path), "%s/device", dir);
	if (stat(path, &st) == 0 && collect(path, &d) < 0)
		goto out;
	hc_fmt(path, sizeof(path), "%s/name", dir);
	{
		struct buf b = BUF_INIT(65536);

		if (hc_read(path, &b) == 0 && b.len > 0) {
			clean_name(b.p, b.len, clean, sizeof(clean));
			if (*clean &&
			    out_add(o, "node_hwmon_chip_names",
				    "Annotation metric for human-readable chip names",
				    OUT_GAUGE, 1.0, "chip", chip, "chip_name",
				    clean, NULL) < 0) {
				buf_free(&b);
				goto out;
			}
		}
		buf_free(&b);
	}
	/* The distinct sensors, each handled once. */
	sensors = calloc(d.n + 1, sizeof(*sensors));
	if (!sensors)
		goto out;
	for (i = 0; i < d.n; i++) {
		for (j = 0; j < ns; j++)
			if (strcmp(sensors[j], d.v[i].sensor) == 0)
				break;
		if (j == ns)
			sensors[ns++] = d.v[i].sensor;
	}
	for (i = 0; i < ns; i++) {
		const char *sensor = sensors[i], *label, *prop, *raw0;
		char type[64], key[PATH_MAX], name[256], help[256];
		long num;

		hc_fmt(key, sizeof(key), "%s;%s", chip, sensor);
		if (filter_ignored(&hc->hwmon_sensor_filter, key))
			continue;
		if (!explode(sensor, type, sizeof(type), &num, &prop))
			continue;
		label = sdata_get(&d, sensor, "label");
		if (label && out_add(o, "node_hwmon_sensor_label",
				     "Label for given chip and sensor",
				     OUT_GAUGE, 1.0, "chip", chip, "sensor",
				     sensor, "label", label, NULL) < 0)
			goto out;
		raw0 = sdata_get(&d, sensor, "");
		if (strcmp(type, "beep_enable") == 0) {
			if (gauge(o, "node_hwmon_beep_enabled",
				  "Hardware beep enabled",
				  raw0 && strcmp(raw0, "1") == 0 ? 1.0 : 0.0,
				  chip, sensor) < 0)
				goto out;
			continue;
		}
		if (strcmp(type, "vrm") == 0 || strcmp(type, "update_interval") == 0) {
			double v;
			int vrm = type[0] == 'v';

			if (!raw0 || hc_parse_f64(raw0, strlen(raw0), &v) < 0)
				continue;
			if (gauge(o, vrm ? "node_hwmon_voltage_regulator_version" :
				  "node_hwmon_update_interval_seconds",
				  vrm ? "Hardware voltage regulator" :
				  "Hardware monitor update interval",
				  vrm ? v : v * 0.001, chip, sensor) < 0)
				goto out;
			continue;
		}
		for (j = 0; j < d.n; j++) {
			const char *el = d.v[j].prop, *hel;
			double v, x = 1;
			enum out_type t = OUT_GAUGE;

			if (strcmp(d.v[j].sensor, sensor) != 0 ||
			    strcmp(el, "label") == 0)
				continue;
			hc_fmt(name, sizeof(name), "node_hwmon_%s", type);
			if (strcmp(el, "input") == 0) {
				if (raw0)
					hc_fmt(name, sizeof(name),
						 "node_hwmon_%s_input", type);
			} else if (*el) {
				clean_name(el, strlen(el), clean, sizeof(clean));
				hc_fmt(name, sizeof(name), "node_hwmon_%s_%s",
					 type, clean);
			}
			hc_fmt(raw, sizeof(raw), "%s", d.v[j].value);
			if (hc_parse_f64(raw, strlen(raw), &v) < 0)
				continue;
			hel = el;
			if (strcmp(el, "fault") == 0 || strcmp(el, "alarm") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware sensor %s status (%s)", el,
					 type);
			} else if (strcmp(el, "beep") == 0) {
				hc_fmt(help, sizeof(help), "%s",
					 "Hardware monitor sensor has beeping enabled");
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_enabled");
			} else if (strcmp(type, "in") == 0 || strcmp(type, "cpu") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for voltage (%s)", el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_volts");
				x = 0.001;
			} else if (strcmp(type, "temp") == 0 &&
				   strcmp(el, "type") != 0) {
				if (!*hel)
					hel = "input";
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for temperature (%s)",
					 hel);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_celsius");
				x = 0.001;
			} else if (strcmp(type, "curr") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for current (%s)", el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_amps");
				x = 0.001;
			} else if (strcmp(type, "energy") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for joules used so far (%s)",
					 el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name),
					 "_joule_total");
				x = 1e-6;
				t = OUT_COUNTER;
			} else if (strcmp(type, "power") == 0 &&
				   strcmp(el, "accuracy") == 0) {
				hc_fmt(help, sizeof(help), "%s",
					 "Hardware monitor power meter accuracy, as a ratio");
				x = 1e-6;
			} else if (strcmp(type, "power") == 0 &&
				   (strcmp(el, "average_interval") == 0 ||
				    strcmp(el, "average_interval_min") == 0 ||
				    strcmp(el, "average_interval_max") == 0)) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor power usage update interval (%s)",
					 el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_seconds");
				x = 0.001;
			} else if (strcmp(type, "power") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for power usage in watts (%s)",
					 el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_watt");
				x = 1e-6;
			} else if (strcmp(type, "humidity") == 0) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (%s)",
					 el);
				x = 1e-6;
			} else if (strcmp(type, "fan") == 0 &&
				   (strcmp(el, "input") == 0 ||
				    strcmp(el, "min") == 0 ||
				    strcmp(el, "max") == 0 ||
				    strcmp(el, "target") == 0)) {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor for fan revolutions per minute (%s)",
					 el);
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_rpm");
			} else if (strcmp(type, "freq") == 0 &&
				   strcmp(el, "input") == 0) {
				if (!label)
					continue;
				clean_name(label, strlen(label), clean,
					   sizeof(clean));
				hc_fmt(name + strlen(name),
					 sizeof(name) - strlen(name), "_freq_mhz");
				if (gauge(o, name,
					  "Hardware monitor for GPU frequency in MHz",
					  v / 1e6, chip, clean) < 0)
					goto out;
				continue;
			} else {
				hc_fmt(help, sizeof(help),
					 "Hardware monitor %s element %s", type,
					 el);
			}
			if (out_add(o, name, help, t, v * x, "chip", chip,
				    "sensor", sensor, NULL) < 0)
				goto out;
			continue;
		}
	}
	rc = 0;
out:
	free(sensors);
	free(d.v);
	return rc;
}

/* The chip's name: its device's bus and address, its name file, or the
 * hwmon directory's own name, as node_exporter derives it. */
static int chip_base_name(const char *dir, char *dst, size_t size)
{
	char path[PATH_MAX + 16], real[PATH_MAX], dn[256], dt[256];
	struct buf b = BUF_INIT(65536);
	char *slash;

	hc_fmt(path, sizeof(path), "%s/device", dir);
	if (realpath(path, real)) {
		slash = strrchr(real, '/');
		if (slash) {
			clean_name(slash + 1, strlen(slash + 1), dn, sizeof(dn));
			*slash = '\0';
			slash = strrchr(real, '/');
			clean_name(slash ? slash + 1 : real,
				   strlen(slash ? slash + 1 : real), dt,
				   sizeof(dt));
			if (*dt && *dn) {
				hc_fmt(dst, size, "%s_%s", dt, dn);
				return 0;
			}
			if (*dn) {
				hc_fmt(dst, size, "%s", dn);
				return 0;
			}
		}
	}
	hc_fmt(path, sizeof(path), "%s/name", dir);
	if (hc_read(path, &b) == 0 && b.len > 0) {
		clean_name(b.p, b.len, dn, sizeof(dn));
		buf_free(&b);
		if (*dn) {
			hc_fmt(dst, size, "%s", dn);
			return 0;
		}
	}
	buf_free(&b);
	if (!realpath(dir, real))
		return -1;
	slash = strrchr(real, '/');
	clean_name(slash ? slash + 1 : real, strlen(slash ? slash + 1 : real),
		   dn, sizeof(dn));
	if (!*dn)
		return -1;
	hc_fmt(dst, size, "%s", dn);
	return 0;
}

struct chip {
	char dir[PATH_MAX];
	char base[256];
	char namefile[256];
	const char *entry;
};

int hwmon_update(struct hc *hc, struct out *o)
{
	struct names ls;
	struct chip *c = NULL;
	size_t n = 0, i, j;
	char root[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(root, sizeof(root), hc->sysfs, "class/hwmon") < 0)
		return HC_FAIL;
	if (hc_list_fixed(root, NULL, &ls) < 0) {
		if (errno == ENOENT)
			return HC_NODATA;
		log_error("hwmon: cannot list '%s': %s", root, strerror(errno));
		return HC_FAIL;
	}
	c = calloc(ls.n + 1, sizeof(*c));
	if (!c) {
		hc_names_free(&ls);
		return HC_FAIL;
	}
	for (i = 0; i < ls.n; i++) {
		struct stat st;
		struct buf b = BUF_INIT(65536);
		char path[PATH_MAX + 16];

		hc_fmt(c[n].dir, sizeof(c[n].dir), "%s/%s", root, ls.v[i]);
		if (stat(c[n].dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (chip_base_name(c[n].dir, c[n].base, sizeof(c[n].base)) < 0)
			continue;
		hc_fmt(path, sizeof(path), "%s/name", c[n].dir);
		if (hc_read_str(path, &b) == 0 && b.p)
			hc_fmt(c[n].namefile, sizeof(c[n].namefile), "%s", b.p);
		buf_free(&b);
		c[n].entry = ls.v[i];
		n++;
	}
	for (i = 0; i < n; i++) {
		char chip[600], suffix[256];
		size_t same = 0, samename = 0;

		for (j = 0; j < n; j++) {
			if (strcmp(c[j].base, c[i].base) != 0)
				continue;
			same++;
			if (strcmp(c[j].namefile, c[i].namefile) == 0)
				samename++;
		}
		hc_fmt(chip, sizeof(chip), "%s", c[i].base);
		if (same > 1) {
			clean_name(c[i].namefile, strlen(c[i].namefile), suffix,
				   sizeof(suffix));
			if (!*suffix || samename > 1)
				clean_name(c[i].entry, strlen(c[i].entry),
					   suffix, sizeof(suffix));
			hc_fmt(chip, sizeof(chip), "%s_%s", c[i].base, suffix);
		}
		if (filter_ignored(&hc->hwmon_chip_filter, chip))
			continue;
		if (chip_update(hc, o, c[i].dir, chip) < 0) {
			log_error("hwmon: cannot read chip '%s'", c[i].dir);
			rc = HC_FAIL;
		}
	}
	free(c);
	hc_names_free(&ls);
	return rc;
}
