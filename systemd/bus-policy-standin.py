#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# bus-policy-standin.py: a TEST-ONLY stand-in for bgserviced.
#
# This is NOT the daemon and implements none of its behaviour. It exists so
# that systemd/test-bus-policy.sh can exercise the system-bus *policy*
# (data/org.bgservice1.conf) on a private dbus-daemon: a bus only applies
# send rules to a name somebody owns, so something has to own
# org.bgservice1. Every method here answers at once with an empty or fixed
# value; none of them checks credentials, so any AccessDenied the test sees
# can only come from the bus.
#
# Usage (needs Debian's /usr/bin/python3 with python3-dbus and python3-gi):
#   bus-policy-standin.py own ADDRESS     own org.bgservice1 and serve until
#                                         killed; exits 3 if the bus refuses
#                                         the name
#   bus-policy-standin.py listen ADDRESS  print "listening", then exit 0 on the
#                                         first TaskFailed signal from
#                                         org.bgservice1, 1 after 10 seconds

import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

BUS_NAME = 'org.bgservice1'
ROOT_PATH = '/org/bgservice1'
SERVICE_NAME = 'demo'
SERVICE_PATH = ROOT_PATH + '/service/' + SERVICE_NAME
MANAGER_IFACE = 'org.bgservice1.Manager'
SERVICE_IFACE = 'org.bgservice1.Service'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'
OBJMGR_IFACE = 'org.freedesktop.DBus.ObjectManager'

NO_ERRORS = dbus.Array([], signature='(ssis)')


class ReadOnlyProperty(dbus.DBusException):
    _dbus_error_name = 'org.freedesktop.DBus.Error.PropertyReadOnly'


class UnknownProperty(dbus.DBusException):
    _dbus_error_name = 'org.freedesktop.DBus.Error.UnknownProperty'


class WithProperties(dbus.service.Object):
    """Minimal org.freedesktop.DBus.Properties over a fixed table."""

    def props(self):
        return {}

    @dbus.service.method(PROPS_IFACE, in_signature='ss', out_signature='v')
    def Get(self, interface, name):
        table = self.props().get(interface, {})
        if name not in table:
            raise UnknownProperty(name)
        return table[name]

    @dbus.service.method(PROPS_IFACE, in_signature='s', out_signature='a{sv}')
    def GetAll(self, interface):
        return dbus.Dictionary(self.props().get(interface, {}), signature='sv')

    @dbus.service.method(PROPS_IFACE, in_signature='ssv', out_signature='')
    def Set(self, interface, name, value):
        raise ReadOnlyProperty(name)


class StandInService(WithProperties):
    def props(self):
        return {SERVICE_IFACE: {
            'Name': dbus.String(SERVICE_NAME),
            'IsRunning': dbus.Boolean(False),
            'NTasks': dbus.UInt32(0),
            'LastErrors': NO_ERRORS,
            'State': dbus.String('stopped'),
        }}

    @dbus.service.method(SERVICE_IFACE, in_signature='', out_signature='')
    def Start(self):
        pass

    @dbus.service.method(SERVICE_IFACE, in_signature='s', out_signature='a(ssis)')
    def Stop(self, message):
        return NO_ERRORS

    @dbus.service.method(SERVICE_IFACE, in_signature='s', out_signature='')
    def Cancel(self, message):
        pass

    @dbus.service.method(SERVICE_IFACE, in_signature='', out_signature='a(ssis)')
    def Wait(self):
        return NO_ERRORS

    @dbus.service.method(SERVICE_IFACE, in_signature='s', out_signature='a(ssis)')
    def Restart(self, message):
        return NO_ERRORS

    @dbus.service.method(SERVICE_IFACE, in_signature='', out_signature='')
    def ResetFailed(self):
        pass

    @dbus.service.signal(SERVICE_IFACE, signature='ssis')
    def TaskFailed(self, task, domain, code, message):
        pass


class StandInManager(WithProperties):
    def __init__(self, conn, service):
        super().__init__(conn, ROOT_PATH)
        self.service = service

    def props(self):
        return {MANAGER_IFACE: {'Version': dbus.String('stand-in')}}

    @dbus.service.method(MANAGER_IFACE, in_signature='', out_signature='a(sbuo)')
    def ListServices(self):
        return dbus.Array([(SERVICE_NAME, False, dbus.UInt32(0),
                            dbus.ObjectPath(SERVICE_PATH))],
                          signature='(sbuo)')

    @dbus.service.method(MANAGER_IFACE, in_signature='s', out_signature='o')
    def GetService(self, name):
        return dbus.ObjectPath(SERVICE_PATH)

    @dbus.service.method(MANAGER_IFACE, in_signature='', out_signature='')
    def StartAll(self):
        # Gives the test a signal to receive as an unprivileged user.
        self.service.TaskFailed('demo-task', 'g-io-error-quark', 0, 'stand-in')

    @dbus.service.method(MANAGER_IFACE, in_signature='s', out_signature='a(ssis)')
    def StopAll(self, message):
        return NO_ERRORS

    @dbus.service.method(OBJMGR_IFACE, in_signature='',
                         out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        return dbus.Dictionary(
            {dbus.ObjectPath(SERVICE_PATH): self.service.props()},
            signature='oa{sa{sv}}')


def own(address):
    loop = GLib.MainLoop()
    conn = dbus.bus.BusConnection(address, mainloop=DBusGMainLoop())
    try:
        name = dbus.service.BusName(BUS_NAME, conn, do_not_queue=True)
    except (dbus.DBusException, dbus.exceptions.NameExistsException) as e:
        print('stand-in: cannot own %s: %s' % (BUS_NAME, e), file=sys.stderr)
        return 3
    service = StandInService(conn, SERVICE_PATH)
    manager = StandInManager(conn, service)
    print('stand-in: owning %s' % BUS_NAME, flush=True)
    loop.run()
    del name, manager
    return 0


def listen(address):
    loop = GLib.MainLoop()
    conn = dbus.bus.BusConnection(address, mainloop=DBusGMainLoop())
    result = {'status': 1}

    def on_signal(task, domain, code, message):
        print('listener: TaskFailed(%s, %s, %d, %s)' % (task, domain, code, message),
              flush=True)
        result['status'] = 0
        loop.quit()

    def on_timeout():
        print('listener: no TaskFailed signal within 10 s', flush=True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    conn.add_signal_receiver(on_signal, signal_name='TaskFailed',
                             dbus_interface=SERVICE_IFACE, bus_name=BUS_NAME)
    GLib.timeout_add_seconds(10, on_timeout)
    # A round trip to the bus makes sure the match rule is in place before
    # the test is told to go on.
    conn.get_unique_name()
    conn.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus',
                       'org.freedesktop.DBus', 'GetId', '', ())
    print('listening', flush=True)
    loop.run()
    return result['status']


def main(argv):
    if len(argv) != 3 or argv[1] not in ('own', 'listen'):
        print('usage: %s own|listen ADDRESS' % argv[0], file=sys.stderr)
        return 2
    return own(argv[2]) if argv[1] == 'own' else listen(argv[2])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
