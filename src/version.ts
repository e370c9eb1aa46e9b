// Version and usage texts; -v prints upstream's banner so scripts that grep it keep working.

/** This program's own version. */
export const NG_VERSION = '0.1.0';

/** Upstream's exact `-v` output, then our own version line. */
export const VERSION_TEXT = `Linux Director v1.186-ha
1999-2006 Jacob Rief, Horms and others
<http://www.vergenet.net/linux/ldirectord/>

ldirectord comes with ABSOLUTELY NO WARRANTY.
This is free software, and you are welcome to redistribute it
under certain conditions. See the GNU General Public Licence for details.
ldirectord-ng ${NG_VERSION}
`;

/** Usage text printed by -h and on a usage error (exit 255). */
export const USAGE_TEXT = `Usage:
    ldirectord [-d|--debug] [--] [ldirectord.cf] start|stop|restart|try-restart|reload|force-reload|status
    ldirectord [-h|-?|--help|-v|--version]
    ldirectord -t|--config-test [ldirectord.cf]
    ldirectord --dump-config [ldirectord.cf]
    ldirectord --probe [ldirectord.cf]

Options:
    -d, --debug        run in the foreground, log to stderr, verbose
    -t, --config-test  parse the configuration, print a summary, exit 0 (ok) or 2 (errors)
    --dump-config      print the normalised configuration as JSON
    --probe            run every configured check once and print a table
    -h, --help         this text
    -v, --version      version

Environment (trying it out on a host without IPVS or root):
    LDIRD_IPVS=fake        in-memory IPVS table instead of the kernel (auto|netlink|ipvsadm|fake)
    LDIRD_RUNDIR=DIR       directory for pid and lock files (default /var/run)
    LDIRD_CONFIG_DIRS=D:D  directories searched for a bare config name (default /etc/ha.d:/etc/ha.d/conf)
    From a source checkout, "make build" first; then bin/ldirectord runs the built CLI.
`;
