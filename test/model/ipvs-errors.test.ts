// ipvs_strerror(): the message depends on the failing libipvs function and errno.
import t from 'tap';
import { ipvsError, ipvsStrerror } from '../../src/model/ipvs-errors.ts';

t.test('messages are picked by operation first, then generic rows, then strerror', async (t) => {
  t.equal(ipvsStrerror('add-service', 'EEXIST'), 'Service already exists');
  t.equal(ipvsStrerror('add-dest', 'EEXIST'), 'Destination already exists');
  t.equal(ipvsStrerror('add-dest', 'ESRCH'), 'Service not defined');
  t.equal(ipvsStrerror('del-service', 'ESRCH'), 'No such service');
  t.equal(ipvsStrerror('edit-dest', 'ENOENT'), 'No such destination');
  t.equal(ipvsStrerror('add-service', 'ENOENT'), 'Scheduler or persistence engine not found');
  t.equal(
    ipvsStrerror('add-dest', 'EINVAL'),
    'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  );
  t.equal(ipvsStrerror('add-dest', 'ERANGE'), 'Numerical result out of range');
  t.equal(ipvsStrerror('del-dest', 'EEXIST'), 'File exists');
});

t.test('ipvsError carries the errno name as code and exits 255 like ipvsadm', async (t) => {
  const e = ipvsError('zero-service', 'ESRCH');
  t.same([e.code, e.message, e.exitCode], ['ESRCH', 'No such service', 255]);
});
