// A group's "select all" box ticks every deduction of the group (管理科 · 扣分明细).
(function () {
  "use strict";
  document.querySelectorAll("input.all").forEach(function (all) {
    all.addEventListener("change", function () {
      all.closest("form").querySelectorAll('input[name="key"]').forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
