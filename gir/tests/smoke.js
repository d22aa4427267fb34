// SPDX-License-Identifier: LGPL-2.1-or-later
// Binding smoke test: libeigml through GObject Introspection from gjs. Prints TAP.
imports.gi.versions.Eigml = '1.0';
const { Eigml, GLib } = imports.gi;

const results = [];
function check(name, fn) {
    try {
        fn();
        results.push([true, name, '']);
    } catch (e) {
        results.push([false, name, String(e)]);
    }
}
function assert(cond, msg) {
    if (!cond)
        throw new Error(msg || 'assertion failed');
}

check('cpu context', () => {
    const ctx = Eigml.Context.new(Eigml.BackendKind.CPU, null);
    assert(ctx.backend === Eigml.BackendKind.CPU, `backend ${ctx.backend}`);
    assert(ctx.device_name.includes('CPU'), ctx.device_name);
    assert(ctx.is_software === false);
});

check('vulkan context', () => {
    let ctx;
    try {
        ctx = Eigml.Context.new(Eigml.BackendKind.VULKAN, null);
    } catch (e) {
        if (GLib.getenv('EIGML_TEST_ALLOW_NO_VULKAN'))
            return;
        throw e;
    }
    assert(ctx.backend === Eigml.BackendKind.VULKAN);
    print(`# vulkan device: ${ctx.device_name} (software: ${ctx.is_software})`);
});

check('tensor round trip', () => {
    const data = [0.5, -1.25, 3.0, 0.125, -7.5, 2.0];
    const t = Eigml.Tensor.new_from_floats([2, 3], data);
    assert(t.get_n_dims() === 2);
    const shape = t.get_shape();
    assert(shape.length === 2 && shape[0] === 2 && shape[1] === 3, `shape ${shape}`);
    const back = t.dup_floats();
    assert(back.length === 6, `length ${back.length}`);
    for (let i = 0; i < 6; i++)
        assert(back[i] === data[i], `element ${i}: ${back[i]}`);
    assert(t.describe() === 'f32[2, 3]', t.describe());
    assert(t.get_bytes().get_size() === 24);
});

check('tensor errors', () => {
    let threw = false;
    try {
        Eigml.Tensor.new_from_floats([2, 2], [1, 2, 3]);
    } catch (e) {
        threw = true;
        assert(e.matches(Eigml.error_quark(), Eigml.Error.SHAPE), `${e}`);
    }
    assert(threw, 'a wrong element count was accepted');
});

print(`1..${results.length}`);
results.forEach(([ok, name, why], i) =>
    print(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${name}${ok ? '' : ' # ' + why}`));
if (!results.every(r => r[0]))
    imports.system.exit(1);
