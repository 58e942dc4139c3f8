// A classic script, run even by a browser too old for the pages' modules (no import maps before
// Chrome 89): if the page has not started after a while, say why instead of "正在打开…" forever.
(function () {
  var started = false;
  window.addEventListener('zhitong:started', function () {
    started = true;
  });
  setTimeout(function () {
    if (started) return;
    var box = document.getElementById('app');
    if (!box) return;
    var old = !(window.HTMLScriptElement && HTMLScriptElement.supports && HTMLScriptElement.supports('importmap'));
    box.innerHTML = '';
    var p = document.createElement('p');
    p.className = 'boot';
    p.textContent = old
      ? '这个浏览器太旧，打不开直通。请用手机自带的新版浏览器或 Chrome 打开；有急事请直接打乡镇值班电话。(This browser is too old: use a current Chrome.)'
      : '直通没能打开：请检查网络后刷新；有急事请直接打乡镇值班电话。(zhitong did not start: check the network and reload.)';
    box.appendChild(p);
  }, 10000);
})();
