const assert = require('node:assert/strict');
const { ethers } = require('hardhat');

describe('Counter', function () {
  let counter;
  let owner;
  let other;

  before(async function () {
    [owner, other] = await ethers.getSigners();
    counter = await ethers.deployContract('Counter');
    await counter.waitForDeployment();
  });

  it('is deployed: code at its address, count 0', async function () {
    const code = await ethers.provider.getCode(await counter.getAddress());
    assert.notEqual(code, '0x');
    assert.equal(await counter.count(), 0n);
  });

  it('increments and emits Incremented with the sender', async function () {
    const receipt = await (await counter.increment()).wait();
    assert.equal(receipt.status, 1);
    const events = receipt.logs.map((log) => counter.interface.parseLog(log));
    assert.deepEqual(
      events.map((e) => [e.name, e.args.by, e.args.amount, e.args.count]),
      [['Incremented', owner.address, 1n, 1n]],
    );
    assert.equal(await counter.count(), 1n);
  });

  it('adds from a second account', async function () {
    const receipt = await (await counter.connect(other).add(41n)).wait();
    assert.equal(receipt.from, other.address);
    assert.equal(await counter.count(), 42n);
  });

  it('refuses with the custom error and the require reason, state unchanged', async function () {
    await assert.rejects(counter.add(0n), (err) => {
      assert.equal(counter.interface.parseError(err.data).name, 'ZeroAmount');
      return true;
    });
    await assert.rejects(counter.addAtMost(1n, 42n), /over the limit/);
    assert.equal(await counter.count(), 42n);
  });

  it('finds its events again by filter', async function () {
    const events = await counter.queryFilter(counter.filters.Incremented(), 0, 'latest');
    assert.deepEqual(
      events.map((e) => [e.args.by, e.args.count]),
      [[owner.address, 1n], [other.address, 42n]],
    );
    const byOther = await counter.queryFilter(counter.filters.Incremented(other.address), 0, 'latest');
    assert.equal(byOther.length, 1);
  });
});
