/*
 * Calendar days as the wire writes them, "YYYY-MM-DD" (UTC), and as the
 * server counts them: days since 1970-01-01. Visit, complaint and inquiry
 * dates all go through here.
 */
#include "tierd.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
day_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
day_parse(const char *text, int64_t *days)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	unsigned y = 0, m = 0, d = 0, last;
	size_t i;

	if (text == NULL || strlen(text) != 10 || text[4] != '-' ||
	    text[7] != '-')
		return ERR_INVALID_ARG;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (text[i] < '0' || text[i] > '9')
			return ERR_INVALID_ARG;
	}
	for (i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(text[i] - '0');
	m = (unsigned)(text[5] - '0') * 10 + (unsigned)(text[6] - '0');
	d = (unsigned)(text[8] - '0') * 10 + (unsigned)(text[9] - '0');
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1)
		return ERR_INVALID_ARG;
	last = mdays[m - 1];
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		last = 29;
	if (d > last)
		return ERR_INVALID_ARG;
	*days = day_from_civil(y, m, d);
	return 0;
}

void
day_format(int64_t days, char out[11])
{
	int64_t z = days + 719468, era, doe, yoe, y, doy, mp, d, m;
	char buf[48];

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int)y, (int)m, (int)d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

int
day_month_valid(const char *text)
{
	char first[11];
	int64_t days;

	if (text == NULL || strlen(text) != 7)
		return 0;
	memcpy(first, text, 7);
	memcpy(first + 7, "-01", 4);
	return day_parse(first, &days) == 0;
}
