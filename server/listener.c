/*
 * The listening socket: binds cfg.listen, accepts connections and hands each
 * to session_new, refusing connections beyond max_connections.
 */
#include "tierd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
listener_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *srv = arg;

	(void)l;
	if (srv->stopping ||
	    srv->nsessions >= (unsigned)srv->cfg.max_connections) {
		log_warn("refusing connection: %s",
		    srv->stopping ? "stopping" : "max_connections reached");
		close(fd);
		return;
	}
	session_new(srv, fd, sa, salen);
}

static void
listener_error_cb(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	(void)l;
	(void)arg;
	/* EMFILE and friends: log and keep listening; the loop retries. */
	log_error("accept: %s", evutil_socket_error_to_string(e));
}

/* Writes the bound address of fd as "host:port". */
static void
listener_bound(int fd, char *out, size_t out_len)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, out_len, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, out_len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, out_len, "%s:%u", host, ntohs(in->sin_port));
	}
}

/*
 * Resolves "host:port" or "[v6]:port" (port 0 allowed) for binding. Returns 0
 * or ERR_CONFIG.
 */
static int
listener_resolve(const char *text, struct addrinfo **out)
{
	struct addrinfo hints;
	char host[256];
	const char *port, *close_bracket;
	size_t hlen;

	if (text[0] == '[') {
		close_bracket = strchr(text, ']');
		if (close_bracket == NULL || close_bracket[1] != ':')
			return ERR_CONFIG;
		hlen = (size_t)(close_bracket - text - 1);
		text++;
		port = close_bracket + 2;
	} else {
		port = strrchr(text, ':');
		if (port == NULL)
			return ERR_CONFIG;
		hlen = (size_t)(port - text);
		port++;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0' ||
	    strspn(port, "0123456789") != strlen(port))
		return ERR_CONFIG;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	return getaddrinfo(host, port, &hints, out) == 0 ? 0 : ERR_CONFIG;
}

int
listener_open(struct server *srv, const char *setting, const char *text,
    evconnlistener_cb cb, struct evconnlistener **out, char *bound,
    size_t bound_len)
{
	struct addrinfo *ai = NULL;

	if (listener_resolve(text, &ai) != 0) {
		log_error("%s = \"%s\" is not HOST:PORT (e.g. 127.0.0.1:7433 "
			  "or [::1]:7433)",
		    setting, text);
		return ERR_CONFIG;
	}
	*out = evconnlistener_new_bind(srv->base, cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    512, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (*out == NULL) {
		log_error("cannot listen on %s (%s): %s", text, setting,
		    strerror(errno));
		return ERR_SYSTEM;
	}
	evconnlistener_set_error_cb(*out, listener_error_cb);
	listener_bound(evconnlistener_get_fd(*out), bound, bound_len);
	return 0;
}

int
listener_start(struct server *srv)
{
	char bound[128];
	int r;

	if ((r = listener_open(srv, "listen", srv->cfg.listen,
		 listener_accept_cb, &srv->listener, bound, sizeof(bound))) !=
	    0)
		return r;
	log_info("listening on %s", bound);
	return 0;
}

void
listener_stop(struct server *srv)
{
	if (srv->listener == NULL)
		return;
	evconnlistener_free(srv->listener);
	srv->listener = NULL;
}
