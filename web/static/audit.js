// New entries arrive over the public audit stream: the time in Beijing time, the kind in words
// (the page's labels, web/audit_words.py); the whole entry is in the JSON API.
(function () {
  const DATA = JSON.parse(document.getElementById("audit-data").textContent);
  const beijing = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws/audit");
  socket.onmessage = function (event) {
    const message = JSON.parse(event.data);
    if (message.type === "subscribed") return;
    const row = document.createElement("tr");
    const when = beijing.format(new Date(message.time));
    [message.position, when, DATA.kinds[message.kind] || "", "", ""].forEach(function (value) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    });
    document.querySelector("#audit-table tbody").prepend(row);
    document.getElementById("audit-size").textContent = message.position + 1;
  };
})();
