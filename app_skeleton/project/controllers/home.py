from mvcpy import Controller


class HomeController(Controller):
    def get(self):
        self.data["title"] = "{{ project }}"
        # No return: renders views/home/get.html with self.data.
